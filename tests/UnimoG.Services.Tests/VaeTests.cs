using UnimoG.Contracts.Tensors;
using UnimoG.Client.Torch;
using UnimoG.Hosting;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Client;
using UnimoG.Engines;
using UnimoG.Services.Tests.Support;
using UnimoG.TestSupport;
using UnimoG.Engines.Inference;
using static TorchSharp.torch;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Services.Tests;

/// <summary>The VAE service both ways over the network.</summary>
[Collection("cluster")]
public sealed class VaeTests(ClusterFixture fixture)
{
    private VaeClient Client() => new(new V1.Vae.VaeClient(fixture.Cluster.Channel(fixture.Cluster.VaeAddress)));

    [Fact]
    public async Task Images_to_latents_and_latents_to_PNGs()
    {
        var engine = fixture.Cluster.Vae.Services.GetRequiredService<ModelSlot<VaeEngine>>().Value;
        var png = File.ReadAllBytes(Path.Combine(RepoPaths.Root, "models", "examples", "dog.png"));
        using var wire = await Client().EncodeAsync(png);
        using var latent = wire.ToTorch();
        Assert.Equal([1L, 4, 16, 16], latent.shape);
        var (local, mean, logvar) = engine.Encode(png, null);
        using (local) using (mean) using (logvar) TensorAssert.Identical(local, latent, "latent");
        using var sampledWire = await Client().EncodeAsync(png, seed: 5);
        using var sampled = sampledWire.ToTorch();
        TensorAssert.NotClose(latent, sampled, rtol: 0, atol: 0, what: "posterior sample vs mean");   // a posterior sample, not the mean

        using var both = cat([latent, sampled], 0);
        using var bothWire = both.ToWire(TensorNames.Latent);
        var pngs = await Client().DecodeAsync(bothWire);
        Assert.Equal(2, pngs.Count);
        Assert.Equal(engine.Decode(both), pngs);   // the same bytes as decoding in process
        Assert.Equal(64 * 64 * 4, TestModel.Pixels(pngs[1]).Length);
    }

    [Fact]
    public async Task Bad_latents_and_images_are_named()
    {
        using var wrong = zeros(1, 3, 16, 16);
        using var wrongWire = wrong.ToWire(TensorNames.Latent);
        var e = await Assert.ThrowsAsync<InvalidRequestException>(() => Client().DecodeAsync(wrongWire));
        Assert.Equal("latent", e.Field);
        Assert.Contains("expected FP32, BF16 or FP16 [N, 4, h, w]", e.Detail);
        var odd = await Assert.ThrowsAsync<InvalidRequestException>(() => Client().EncodeAsync(TestModel.Png(30, 30, 1, 2, 3)));
        Assert.Equal("image", odd.Field);
        Assert.Contains("multiples of 4", odd.Detail);
    }
}
