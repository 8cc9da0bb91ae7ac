using static TorchSharp.torch;
using System.Text.Json;
using TorchSharp;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Tests.Diffusion;

public class ParameterCountTests
{
    private static long DiffusersCount(string key)
    {
        // Counted by diffusers 0.31.0 itself on the meta device (tests/data/diffusers-b/README.md).
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(DiffusersBFixtureTests.Dir, "report.json")));
        return doc.RootElement.GetProperty(key).GetInt64();
    }

    [Fact]
    public void SD15_UNet_and_VAE_have_their_published_sizes()
    {
        Assert.Equal(859_520_964, UNet2DConditionModel.CountParameters(DiffusionConfigs.Sd15UNet));
        Assert.Equal(DiffusersCount("sd15_unet_parameters"), UNet2DConditionModel.CountParameters(DiffusionConfigs.Sd15UNet));
        Assert.Equal(83_653_863, AutoencoderKL.CountParameters(DiffusionConfigs.Sd15Vae));
    }

    [Fact]
    public void Paper_UNet_is_counted_on_the_meta_device_and_matches_diffusers()
    {
        var config = DiffusionConfigs.PaperUNet;
        Assert.Equal([640, 1280, 2560, 2560], config.BlockOutChannels);
        Assert.Equal(4096, config.CrossAttentionDim.At(0));
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(16, config.Heads(i)));
        using (new ModelPlacement(torch.META, ScalarType.Float32).Use())
        using (var meta = new UNet2DConditionModel(config))
            Assert.All(meta.parameters(), p => Assert.Equal(DeviceType.META, p.device_type));
        Assert.Equal(DiffusersCount("paper_unet_parameters"), UNet2DConditionModel.CountParameters(config));
        Assert.Equal(3_564_945_284, UNet2DConditionModel.CountParameters(config));
    }

    [Theory]
    [InlineData("unet_three_levels")]
    [InlineData("unet_linear_two_layers")]
    [InlineData("unet_fp16_sharded_knobs")]
    [InlineData("unet_no_mid_asymmetric")]
    [InlineData("vae_three_levels")]
    [InlineData("vae_no_attention")]
    [InlineData("vae_legacy_fp16_sharded")]
    public void Meta_count_equals_diffusers_and_an_allocated_model(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(DiffusersBFixtureTests.Dir, "report.json")));
        var expected = doc.RootElement.GetProperty(name).GetProperty("parameters").GetInt64();
        var dir = Path.Combine(DiffusersBFixtureTests.Dir, name);
        if (name.StartsWith("unet", StringComparison.Ordinal))
        {
            var config = ConfigJson.Read<UNet2DConditionConfig>(Path.Combine(dir, "unet", "config.json"));
            using var real = new UNet2DConditionModel(config);
            Assert.Equal(expected, real.parameters().Sum(p => p.numel()));
            Assert.Equal(expected, UNet2DConditionModel.CountParameters(config));
        }
        else
        {
            var config = ConfigJson.Read<AutoencoderKLConfig>(Path.Combine(dir, "vae", "config.json"));
            using var real = new AutoencoderKL(config);
            Assert.Equal(expected, real.parameters().Sum(p => p.numel()));
            Assert.Equal(expected, AutoencoderKL.CountParameters(config));
        }
    }
}
