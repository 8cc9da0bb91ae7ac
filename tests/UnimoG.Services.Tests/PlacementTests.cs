using TorchSharp;
using UnimoG.Engines.Inference;
using UnimoG.Modeling;
using UnimoG.Modeling.Pipelines;
using UnimoG.Modeling.Sampling;
using UnimoG.Services.Tests.Support;
using static TorchSharp.torch;

namespace UnimoG.Services.Tests;

/// <summary>
/// The engines' own tensor work on the meta device. libtorch's meta device cannot run the U-Net from C++ (conv2d,
/// group/layer norm, scaled-dot-product attention and embeddings have no meta kernels), so the model here is a
/// stand-in built only from ops that do (elementwise, reductions); everything around it is the served code. A tensor
/// made on the CPU where it should be made at the model's placement meets a meta tensor and throws "Expected all
/// tensors to be on the same device". What this cannot catch: tensors created inside the model code itself (the
/// real U-Net), and the copies to the wire and to PNG, which are CPU by design.
/// </summary>
public sealed class PlacementTests
{
    private static readonly ModelPlacement Meta = new(META, ScalarType.BFloat16);

    /// <summary>
    /// Depends on the sample, the timestep and the condition, as a U-Net does (any input off the meta device makes its
    /// first op throw); returns float32 like the U-Net adapter.
    /// </summary>
    private static Tensor StandIn(Tensor x, Tensor t, Conditioning c)
    {
        var pooled = c.HiddenStates.to_type(ScalarType.Float32).mean([1L, 2L]).view(-1, 1, 1, 1);   // [B, 1, 1, 1]
        return x.to_type(Meta.DType).to_type(ScalarType.Float32) * 0.9 + t.view(-1, 1, 1, 1) * 1e-3 + pooled;
    }

    private static DenoiserModel Model() => new(ModelFolder.Open(TestModel.Folder), StandIn, Meta);

    [Fact]
    public void Conditions_noise_schedule_guidance_and_previews_are_made_at_the_models_placement()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var model = Model();
        var options = new DenoiserOptions();
        var width = model.Folder.CrossAttentionDim;
        // Conditions arrive on the CPU in float32 (the wire); the check places them.
        var cond = ConditionCheck.Check("cond", randn(1, 5, width), ones(1, 5, dtype: ScalarType.Int64), model, options);
        var uncond = ConditionCheck.Check("uncond", randn(1, 3, width), ones(1, 3, dtype: ScalarType.Int64), model, options);
        Assert.Equal((DeviceType.META, ScalarType.BFloat16), (cond.HiddenStates.device_type, cond.HiddenStates.dtype));
        Assert.Equal(DeviceType.META, cond.AttentionMask!.device_type);

        // Two requests at different steps, one with eta > 0 (variance noise from its own generator), both guided.
        using var g1 = new Generator(1);
        using var g2 = new Generator(2);
        using var run1 = model.Samplers["ddim"].Start(new(4), Samplers.From(g1));
        using var run2 = model.Samplers["ddim"].Start(new(6, Eta: 0.5), Samplers.From(g2));
        var x1 = Samplers.InitialNoise(run1, [1, 4, 16, 16], g1, Meta.Device);
        var x2 = Samplers.InitialNoise(run2, [1, 4, 16, 16], g2, Meta.Device);
        Assert.Equal((DeviceType.META, ScalarType.Float32), (x1.device_type, x1.dtype));   // latents stay float32
        for (var step = 0; step < 3; step++)
        {
            var outputs = GuidedStep.Run(model.Model, [new GuidedRows(run1, x1, cond, uncond, 5.0), new GuidedRows(run2, x2, cond, uncond, 2.5)]);
            Assert.All(outputs, o => Assert.Equal((DeviceType.META, ScalarType.Float32), (o.PrevSample.device_type, o.PrevSample.dtype)));
            (x1, x2) = (outputs[0].PrevSample, outputs[1].PrevSample);
            using var preview = model.Preview!.Project(outputs[1].PredOriginalSample);             // linear preview: [1, 3, 16, 16]
            Assert.Equal(DeviceType.META, preview.device_type);
        }
        Assert.Equal((3, 3), (run1.StepIndex, run2.StepIndex));
    }

    [Fact]
    public void A_condition_made_on_the_CPU_does_not_reach_a_meta_model_unplaced()
    {
        using var _ = no_grad();
        var model = Model();
        using var run = model.Samplers["ddim"].Start(new(2));
        using var x = Samplers.InitialNoise(run, [1, 4, 16, 16], new Generator(3), Meta.Device);
        // Bypassing ConditionCheck, as a tensor created without the model's placement would: the first op fails.
        using var cpu = new Conditioning(randn(1, 5, model.Folder.CrossAttentionDim), ones(1, 5, dtype: ScalarType.Int64));
        var e = Assert.ThrowsAny<Exception>(() => GuidedStep.Run(model.Model, [new GuidedRows(run, x, cpu, null, 1.0)]));
        Assert.Contains("device", e.Message, StringComparison.OrdinalIgnoreCase);
    }
}
