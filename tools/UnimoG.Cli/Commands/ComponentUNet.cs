using System.CommandLine;
using TorchSharp;
using UnimoG.Modeling;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Diffusion;
using static TorchSharp.torch;

namespace UnimoG.Cli;

/// <summary><c>unimog component unet</c>: sample, timestep, encoder_hidden_states [, encoder_attention_mask, timestep_cond] -> output_sample.</summary>
internal static class ComponentUNet
{
    public static Command Create()
    {
        var model = ComponentOptions.Model("diffusers unet folder (with config.json) or pipeline folder (with unet/)");
        var inputs = ComponentOptions.Inputs();
        var output = ComponentOptions.Output();
        var variant = ComponentOptions.Variant();
        var dtype = ComponentOptions.Dtype();
        var device = ComponentOptions.Device();
        var command = new Command("unet",
            "UNet2DConditionModel forward. Inputs: sample [B, C, H, W], timestep (scalar, [1] or [B]; integer or float), " +
            "encoder_hidden_states [B, L, D], optional encoder_attention_mask [B, L] (1 keep, 0 masked), optional timestep_cond [B, T]. " +
            "Output: output_sample [B, out_channels, H, W].")
        {
            model, inputs, output, variant, dtype, device,
        };
        command.SetAction(r =>
        {
            Run(r.GetValue(model)!, r.GetValue(inputs)!, r.GetValue(output)!, r.GetValue(variant), ComponentOptions.Placement(r, device, dtype));
            return 0;
        });
        return command;
    }

    public static void Run(string modelDir, string inputsPath, string outputPath, string? variant = null, ModelPlacement? at = null)
    {
        var io = ComponentInputs.Open(inputsPath);
        at ??= ModelPlacement.Cpu;
        using var unet = UNet2DConditionModel.FromPretrained(modelDir, variant, at);
        var config = unet.Config;
        using var _ = torch.inference_mode();
        using var scope = torch.NewDisposeScope();

        var sample = io.Float("sample", "B", "C", "H", "W");
        var batch = sample.shape[0];
        io.Expect("sample", sample, 1, config.InChannels, "the U-Net's in_channels");
        var timestep = io.Numeric("timestep", keepIntegers: true, io.Rank("timestep") == 0 ? [] : ["B"]);
        if (timestep.dim() == 1 && timestep.shape[0] != 1 && timestep.shape[0] != batch)
            throw new UsageException($"{io.Path}: tensor 'timestep' has shape {ComponentInputs.Shape(timestep.shape)}; expected a scalar, [1] or [{batch}]");
        var states = io.Float("encoder_hidden_states", "B", "L", "D");
        io.Expect("encoder_hidden_states", states, 0, batch, "the batch of 'sample'");
        var width = config.CrossAttentionDim.At(0);
        if (config.CrossAttentionDim.Items is { } dims && dims.Distinct().Count() > 1)
            throw new UsageException($"{modelDir}: cross_attention_dim differs per level ([{string.Join(", ", dims)}]); one encoder_hidden_states cannot feed it");
        io.Expect("encoder_hidden_states", states, 2, width, "the U-Net's cross_attention_dim");
        Tensor? mask = null;
        if (io.Has("encoder_attention_mask"))
        {
            mask = io.Numeric("encoder_attention_mask", keepIntegers: false, "B", "L");
            io.Expect("encoder_attention_mask", mask, 0, batch, "the batch of 'sample'");
            io.Expect("encoder_attention_mask", mask, 1, states.shape[1], "the length of 'encoder_hidden_states'");
        }
        Tensor? cond = null;
        if (io.Has("timestep_cond"))
        {
            if (config.TimeCondProjDim is not { } condDim)
                throw new UsageException($"{io.Path}: tensor 'timestep_cond' given, but the U-Net's time_cond_proj_dim is null");
            cond = io.Float("timestep_cond", "B", "T");
            io.Expect("timestep_cond", cond, 0, batch, "the batch of 'sample'");
            io.Expect("timestep_cond", cond, 1, condDim, "the U-Net's time_cond_proj_dim");
        }
        var result = unet.forward(sample.to(at.Device), timestep.to(at.Device), states.to(at.Device), mask?.to(at.Device), cond?.to(at.DType, at.Device));
        Console.Out.WriteLine(ComponentInputs.WriteOutputs(outputPath, [KeyValuePair.Create("output_sample", result)]));
    }
}
