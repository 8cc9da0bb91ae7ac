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
            vaeOptions: new VaeOptions { Dtype = dtype, Upcast = false });
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

    /// <summary>
    /// The four roles as loopback hosts, all in bfloat16 (the encoder sends BF16 conditions), against one process in
    /// bfloat16: the same seed gives the same PNG bytes, as in float32 (GenerationTests).
    /// </summary>
    [Fact]
    public async Task A_bfloat16_deployment_gives_the_one_process_bytes_for_a_seed()
    {
        var request = GenerationTests.Request(steps: 4, seed: 77);
        await using var cluster = await Cluster.StartAsync(commonSettings: new Dictionary<string, string?> { ["Model:Dtype"] = "bfloat16" });
        var served = await cluster.Client().GenerateImagesAsync(request);
        using var local = OneProcess.Load(TestModel.Folder, new ModelOptions { Path = TestModel.Folder, TokenizerPath = TestModel.Tokenizer, Dtype = "bfloat16" });
        Assert.Equal(TorchSharp.torch.ScalarType.BFloat16, local.Denoiser.Model.Placement.DType);
        var png = await FinalPng(local, request);
        Assert.Equal(png, served.Images[0]);
        using var f32 = OneProcess.Load(TestModel.Folder, TestModel.Options);
        Assert.NotEqual(png, await FinalPng(f32, request));   // bfloat16 did run: float32 gives other bytes
    }

    [Theory]
    [InlineData("float16", null, "Float32")]      // the folder's force_upcast: true, diffusers' rule for float16
    [InlineData("float16", false, "Float16")]
    [InlineData("bfloat16", true, "BFloat16")]    // bfloat16 has float32's range: never upcast
    [InlineData("float32", null, "Float32")]
    public void A_float16_VAE_upcasts_to_float32_as_its_config_asks(string dtype, bool? upcast, string expected)
    {
        var folder = Modeling.Pipelines.ModelFolder.Open(TestModel.Folder);
        var placement = VaeEngine.PlacementOf(folder, new VaeOptions { Dtype = dtype, Upcast = upcast }, TestModel.Options);
        Assert.Equal(Enum.Parse<TorchSharp.torch.ScalarType>(expected), placement.DType);
    }

    /// <summary>
    /// The shipped mini model end to end in bfloat16 against float32, 8 seeds. bf16 rounds each op's output to 8
    /// significant bits (relative 2^-9); through the 30-odd layers of each U-Net call the fidelity tests bound the
    /// error at about 1e-2, and DDIM's deterministic steps do not amplify it much, so the decoded images stay
    /// within a few 8-bit levels: 30 dB (an RMS error of 8 levels) is the bound (measured: 39.6-44.3 dB at 30 steps).
    /// </summary>
    [Fact]
    public async Task The_shipped_mini_model_in_bfloat16_gives_the_float32_images_within_30_dB_over_8_seeds()
    {
        var folder = Path.Combine(UnimoG.TestSupport.RepoPaths.Root, "models", "unimog-mini");
        using var f32 = OneProcess.Load(folder, new ModelOptions { Path = folder });
        using var bf16 = OneProcess.Load(folder, new ModelOptions { Path = folder, Dtype = "bfloat16" });
        Assert.Equal(TorchSharp.torch.ScalarType.BFloat16, bf16.Denoiser.Model.Placement.DType);
        var psnr = new List<double>();
        for (ulong seed = 0; seed < 8; seed++)
        {
            var request = GenerationTests.Request(steps: 10, seed: seed);
            var a = Imaging.ImageDecoder.Decode(await FinalPng(f32, request));
            var b = Imaging.ImageDecoder.Decode(await FinalPng(bf16, request));
            psnr.Add(Imaging.Psnr.Rgb(a, b));
        }
        Assert.All(psnr, p => Assert.True(p >= 30, $"PSNR per seed: {string.Join(", ", psnr.Select(x => x.ToString("0.0")))} dB"));
        Assert.All(psnr, p => Assert.True(double.IsFinite(p), "bf16 and float32 gave identical bytes: the bf16 model did not run in bf16"));
    }

    private static async Task<byte[]> FinalPng(OneProcess local, Contracts.V1.GenerateRequest request)
    {
        await foreach (var e in local.Pipeline.GenerateAsync(request.Clone(), "psnr"))
            if (e.EventCase == Contracts.V1.GenerateEvent.EventOneofCase.Image) return e.Image.Png.ToByteArray();
        throw new InvalidOperationException("no image");
    }
}
