using System.CommandLine;
using TorchSharp;
using UnimoG.Modeling;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Diffusion;

namespace UnimoG.Cli;

/// <summary><c>unimog component vae-encode</c> (image -> latent_dist_mean, latent_dist_logvar) and <c>vae-decode</c> (latent -> decoded).</summary>
internal static class ComponentVae
{
    private const string ModelHelp = "diffusers vae folder (with config.json) or pipeline folder (with vae/)";

    public static Command Encode()
    {
        var model = ComponentOptions.Model(ModelHelp);
        var inputs = ComponentOptions.Inputs();
        var output = ComponentOptions.Output();
        var variant = ComponentOptions.Variant();
        var dtype = ComponentOptions.Dtype();
        var device = ComponentOptions.Device();
        var seed = new Option<long?>("--seed") { Description = "also write latent_sample = mean + std * noise, the noise from a torch.Generator with this seed" };
        var command = new Command("vae-encode",
            "AutoencoderKL encode. Input: image [B, C, H, W] in [-1, 1]. Outputs: latent_dist_mean, latent_dist_logvar " +
            "(clamped to [-30, 20]) [B, latent_channels, H/f, W/f]; with --seed also latent_sample. Latents are not scaled by scaling_factor.")
        {
            model, inputs, output, variant, seed, dtype, device,
        };
        command.SetAction(r =>
        {
            RunEncode(r.GetValue(model)!, r.GetValue(inputs)!, r.GetValue(output)!, r.GetValue(variant), r.GetValue(seed), ComponentOptions.Placement(r, device, dtype));
            return 0;
        });
        return command;
    }

    public static Command Decode()
    {
        var model = ComponentOptions.Model(ModelHelp);
        var inputs = ComponentOptions.Inputs();
        var output = ComponentOptions.Output();
        var variant = ComponentOptions.Variant();
        var dtype = ComponentOptions.Dtype();
        var device = ComponentOptions.Device();
        var command = new Command("vae-decode",
            "AutoencoderKL decode. Input: latent [B, latent_channels, h, w] (unscaled: divide by scaling_factor first). Output: decoded [B, out_channels, h*f, w*f].")
        {
            model, inputs, output, variant, dtype, device,
        };
        command.SetAction(r =>
        {
            RunDecode(r.GetValue(model)!, r.GetValue(inputs)!, r.GetValue(output)!, r.GetValue(variant), ComponentOptions.Placement(r, device, dtype));
            return 0;
        });
        return command;
    }

    public static void RunEncode(string modelDir, string inputsPath, string outputPath, string? variant = null, long? seed = null, ModelPlacement? at = null)
    {
        var io = ComponentInputs.Open(inputsPath);
        at ??= ModelPlacement.Cpu;
        using var vae = AutoencoderKL.FromPretrained(modelDir, variant, at);
        using var _ = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        var image = io.Float("image", "B", "C", "H", "W");
        io.Expect("image", image, 1, vae.Config.InChannels, "the VAE's in_channels");
        using var posterior = vae.Encode(image.to(at.Device));
        if (seed is { } s)
            Console.Out.WriteLine(ComponentInputs.WriteOutputs(outputPath, [KeyValuePair.Create("latent_dist_mean", posterior.Mean), KeyValuePair.Create("latent_dist_logvar", posterior.LogVar),
                KeyValuePair.Create("latent_sample", posterior.Sample(new torch.Generator((ulong)s)))]));
        else
            Console.Out.WriteLine(ComponentInputs.WriteOutputs(outputPath, [KeyValuePair.Create("latent_dist_mean", posterior.Mean), KeyValuePair.Create("latent_dist_logvar", posterior.LogVar)]));
    }

    public static void RunDecode(string modelDir, string inputsPath, string outputPath, string? variant = null, ModelPlacement? at = null)
    {
        var io = ComponentInputs.Open(inputsPath);
        at ??= ModelPlacement.Cpu;
        using var vae = AutoencoderKL.FromPretrained(modelDir, variant, at);
        using var _ = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        var latent = io.Float("latent", "B", "C", "h", "w");
        io.Expect("latent", latent, 1, vae.Config.LatentChannels, "the VAE's latent_channels");
        Console.Out.WriteLine(ComponentInputs.WriteOutputs(outputPath, [KeyValuePair.Create("decoded", vae.Decode(latent.to(at.Device)))]));
    }
}
