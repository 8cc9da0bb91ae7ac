using System.Text.Json.Nodes;
using UnimoG.Data.Config;
using UnimoG.Modeling.Configs;
using UnimoG.TestSupport;

namespace UnimoG.Modeling.Tests.Diffusion;

/// <summary>The VAE's config record (diffusers' AutoencoderKL config.json): values we do not support name their key.</summary>
public class AutoencoderKLConfigTests
{
    [Fact]
    public void VAE_unsupported_values_fail_naming_their_key()
    {
        var json = JsonNode.Parse(File.ReadAllText(RepoPaths.Fixtures("diffusers-a", "vae", "config.json")))!.AsObject();
        json["down_block_types"] = new JsonArray("AttnDownEncoderBlock2D", "DownEncoderBlock2D");
        var e = Assert.Throws<ConfigException>(() => ConfigJson.Parse<AutoencoderKLConfig>(json.ToJsonString(), "vae/config.json"));
        Assert.Equal("down_block_types", e.Key);
        json = JsonNode.Parse(File.ReadAllText(RepoPaths.Fixtures("diffusers-a", "vae", "config.json")))!.AsObject();
        json["latent_channels"] = "four";
        Assert.Equal("latent_channels", Assert.Throws<ConfigException>(() => ConfigJson.Parse<AutoencoderKLConfig>(json.ToJsonString(), "vae/config.json")).Key);
        Assert.Null(ConfigJson.Read<AutoencoderKLConfig>(RepoPaths.Fixtures("diffusers-a", "vae", "config.json")).IgnoredKeys);
    }
}
