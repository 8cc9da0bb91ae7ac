using UnimoG.Client;
using UnimoG.Engines.Inference;
using UnimoG.Engines.InProcess;
using UnimoG.Services.Tests.Support;

namespace UnimoG.Services.Tests;

/// <summary>
/// The engines with half-precision models: every tensor the batcher, the previews and the VAE make meets the weights'
/// dtype, or the first op that meets a weight fails ("Input type (CPUFloatType) and weight type (CPUBFloat16Type)").
/// </summary>
public sealed class PrecisionTests
{
    private static async Task<List<GenerationEvent>> Generate(OneProcess local, ulong seed, PreviewKindChoice previews)
    {
        var request = GenerationTests.Request(steps: 4, seed: seed);
        request.NumImages = 2;
        if (previews != PreviewKindChoice.None)
        {
            request.PreviewInterval = 2;
            request.PreviewKind = previews == PreviewKindChoice.Latent ? Contracts.V1.PreviewKind.Latent : Contracts.V1.PreviewKind.Linear;
        }
        var events = new List<GenerationEvent>();
        await foreach (var e in local.Pipeline.GenerateAsync(request, $"precision-{seed}")) events.Add(GenerationEvent.From(e));
        return events;
    }

    public enum PreviewKindChoice { None, Linear, Latent }

    [Theory]
    [InlineData("bfloat16", PreviewKindChoice.Linear)]
    [InlineData("bfloat16", PreviewKindChoice.Latent)]
    [InlineData("float16", PreviewKindChoice.Latent)]
    public async Task A_half_precision_denoiser_and_VAE_generate_with_previews_in_one_process(string dtype, PreviewKindChoice previews)
    {
        using var local = OneProcess.Load(TestModel.Folder, TestModel.Options, denoiser: new DenoiserOptions { Dtype = dtype },
            vaeOptions: new VaeOptions { Dtype = dtype });
        var events = await Generate(local, 5, previews);
        Assert.Equal(2, events.OfType<GenerationEvent.Image>().Count());
        Assert.Equal(2 * 2, events.OfType<GenerationEvent.Preview>().Count());
        Assert.All(events.OfType<GenerationEvent.Image>(), i => Assert.Equal(64 * 64 * 4, TestModel.Pixels(i.Png).Length));
    }

    [Fact]
    public void The_roles_load_at_their_own_placement()
    {
        using var local = OneProcess.Load(TestModel.Folder, TestModel.Options, denoiser: new DenoiserOptions { Dtype = "bfloat16" });
        Assert.Equal(TorchSharp.torch.ScalarType.BFloat16, local.Denoiser.Model.Placement.DType);
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, local.Vae.Placement.DType);
    }
}
