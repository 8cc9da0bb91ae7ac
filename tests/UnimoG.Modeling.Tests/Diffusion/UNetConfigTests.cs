using System.Text.Json.Nodes;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using UnimoG.TestSupport;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Tests.Diffusion;

public class UNetConfigTests
{
    private static readonly string FixtureConfig = RepoPaths.Fixtures("diffusers-a", "unet", "config.json");

    private static JsonObject Fixture() => JsonNode.Parse(File.ReadAllText(FixtureConfig))!.AsObject();

    private static ConfigException Reject(string key, JsonNode? value)
    {
        var json = Fixture();
        json[key] = value;
        return Assert.Throws<ConfigException>(() => ConfigJson.Parse<UNet2DConditionConfig>(json.ToJsonString(), "test/unet/config.json"));
    }

    [Fact]
    public void Every_diffusers_0_31_key_is_known_and_parsed()
    {
        var config = ConfigJson.Read<UNet2DConditionConfig>(FixtureConfig);
        Assert.Null(config.IgnoredKeys);
        var keys = Fixture().Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        var declared = JsonNode.Parse(ConfigJson.Write(new UNet2DConditionConfig { DiffusersVersion = "0.31.0" }))!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(keys, declared);   // the fixture's config.json lists all 48 keys and the metadata diffusers writes
        Assert.Equal([32, 64], config.BlockOutChannels);
        Assert.Equal(8, config.Heads(0));   // attention_head_dim 8 with num_attention_heads null: 8 heads
        Assert.Equal(4, config.Down(0).HeadDim);
    }

    [Fact]
    public void Unknown_keys_are_ignored_and_reported()
    {
        var json = Fixture();
        json["decay"] = 0.9999;   // EMA settings that training scripts leave in configs
        var config = ConfigJson.Parse<UNet2DConditionConfig>(json.ToJsonString(), "test");
        Assert.Equal(["decay"], config.IgnoredKeys!.Keys);
        Assert.Equal(0.9999, JsonNode.Parse(ConfigJson.Write(config))!["decay"]!.GetValue<double>());   // written back
    }

    [Theory]
    [InlineData("attention_type", "\"gated\"")]
    [InlineData("class_embed_type", "\"timestep\"")]
    [InlineData("num_class_embeds", "10")]
    [InlineData("addition_embed_type", "\"text_time\"")]
    [InlineData("encoder_hid_dim", "64")]
    [InlineData("encoder_hid_dim_type", "\"text_proj\"")]
    [InlineData("dual_cross_attention", "true")]
    [InlineData("time_embedding_type", "\"fourier\"")]
    [InlineData("resnet_time_scale_shift", "\"spatial\"")]
    [InlineData("norm_num_groups", "null")]
    [InlineData("norm_num_groups", "7")]
    [InlineData("act_fn", "\"tanh\"")]
    [InlineData("mid_block_type", "\"UNetMidBlock2DSimpleCrossAttn\"")]
    [InlineData("down_block_types", "[\"SimpleCrossAttnDownBlock2D\", \"DownBlock2D\"]")]
    [InlineData("up_block_types", "[\"UpBlock2D\", \"AttnUpBlock2D\"]")]
    [InlineData("layers_per_block", "[1, 2, 3]")]
    [InlineData("attention_head_dim", "[8]")]
    [InlineData("num_attention_heads", "64")]
    [InlineData("transformer_layers_per_block", "[[1], [1]]")]
    [InlineData("conv_in_kernel", "4")]
    [InlineData("block_out_channels", "\"wide\"")]
    [InlineData("use_linear_projection", "\"yes\"")]
    public void Unsupported_or_malformed_values_fail_naming_their_key(string key, string value)
    {
        var e = Reject(key, JsonNode.Parse(value));
        Assert.Equal(key, e.Key);
        Assert.StartsWith($"test/unet/config.json: {key}: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Wrong_class_name_is_named()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigJson.Read<UNet2DConditionConfig>(RepoPaths.Fixtures("diffusers-a", "vae", "config.json")));
        Assert.Equal("_class_name", e.Key);
    }

    [Fact]
    public void Num_attention_heads_sets_the_head_count_when_given()
    {
        var json = Fixture();
        json["num_attention_heads"] = new JsonArray(2, 4);
        var config = ConfigJson.Parse<UNet2DConditionConfig>(json.ToJsonString(), "test");
        using var unet = new UNet2DConditionModel(config);
        var down = (CrossAttnDownBlock2D)unet.down_blocks[0];
        Assert.Equal(2, down.attentions[0].transformer_blocks[0].attn2.Heads);
        Assert.Equal(16, down.attentions[0].transformer_blocks[0].attn2.HeadDim);
        Assert.Equal(4, unet.mid_block!.attentions![0].transformer_blocks[0].attn2.Heads);   // the mid block uses the last level's
    }

    [Fact]
    public void To_JSON_round_trips_every_value()
    {
        foreach (var path in Directory.GetFiles(DiffusersBFixtureTests.Dir, "config.json", SearchOption.AllDirectories)
                     .Where(p => Path.GetFileName(Path.GetDirectoryName(p)) == "unet").Append(FixtureConfig))
        {
            var config = ConfigJson.Read<UNet2DConditionConfig>(path);
            var again = ConfigJson.Parse<UNet2DConditionConfig>(ConfigJson.Write(config), "round trip");
            Assert.Equal(ConfigJson.Write(config), ConfigJson.Write(again));
            Assert.Equivalent(config, again, strict: true);
            var original = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var written = JsonNode.Parse(ConfigJson.Write(config))!.AsObject();
            foreach (var (key, value) in original.Where(p => !p.Key.StartsWith('_')))
                Assert.True(JsonNode.DeepEquals(Normalize(value), Normalize(written[key])), $"{path}: {key} {value?.ToJsonString()} -> {written[key]?.ToJsonString()}");
        }
    }

    // 1 and 1.0 are the same config value.
    private static JsonNode? Normalize(JsonNode? n) => n is JsonValue v && v.TryGetValue<double>(out var d) ? JsonValue.Create(d) : n is JsonArray a ? new JsonArray(a.Select(Normalize).ToArray()) : n?.DeepClone();
}
