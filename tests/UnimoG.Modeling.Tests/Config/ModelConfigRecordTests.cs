using System.Text.Json.Nodes;
using UnimoG.Data.Config;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Encoders;
using UnimoG.TestSupport;

namespace UnimoG.Modeling.Tests.Config;

/// <summary>The model config records under the one reader's rules (the rules themselves: UnimoG.Data.Tests).</summary>
public class ModelConfigRecordTests
{
    private static JsonObject Fixture(params string[] parts) => JsonNode.Parse(File.ReadAllText(RepoPaths.Fixtures(parts)))!.AsObject();

    [Fact]
    public void Comments_trailing_commas_and_exponents_are_read()
    {
        var c = ConfigJson.Parse<LlamaConfig>("""
            {
              // a comment, as hand-written files have
              "hidden_size": 48, /* and this */ "num_attention_heads": 6,
              "rms_norm_eps": 1e-5,
            }
            """, "llama.json");
        Assert.Equal((48, 6, 1e-5), (c.HiddenSize, c.NumAttentionHeads, c.RmsNormEps));
    }

    [Fact]
    public void Null_keeps_the_default_unless_the_type_can_be_null()
    {
        // Stable Diffusion 1.5's config (older diffusers) writes "upcast_attention": null: the default, false.
        Assert.False(DiffusionConfigs.Sd15UNet.UpcastAttention);
        Assert.Contains("\"upcast_attention\": null", DiffusionConfigs.Sd15UNetJson);
        var json = Fixture("diffusers-a", "unet", "config.json");
        json["mid_block_type"] = null;   // diffusers: no mid block
        json["act_fn"] = null;
        var c = ConfigJson.Parse<UNet2DConditionConfig>(json.ToJsonString(), "unet/config.json");
        Assert.Null(c.MidBlockType);
        Assert.Equal("silu", c.ActFn);
        json.Remove("mid_block_type");
        Assert.Equal("UNetMidBlock2DCrossAttn", ConfigJson.Parse<UNet2DConditionConfig>(json.ToJsonString(), "unet/config.json").MidBlockType);
        // transformers: num_key_value_heads absent or null means num_attention_heads.
        Assert.Equal(6, ConfigJson.Parse<LlamaConfig>("""{"hidden_size": 48, "num_attention_heads": 6, "num_key_value_heads": null}""", "l").NumKeyValueHeads);
    }

    [Theory]
    [InlineData("""{"num_query_tokens": "many"}""", "num_query_tokens", "expected an integer, got \"many\"")]
    [InlineData("""{"num_query_tokens": 1.5}""", "num_query_tokens", "expected an integer, got 1.5")]
    [InlineData("""{"vision_post_layernorm": 1}""", "vision_post_layernorm", "expected true or false, got 1")]
    [InlineData("""{"adapter": ["mlp"]}""", "adapter", "expected a string, got [\"mlp\"]")]
    [InlineData("""{"adaptor": "mlp"}""", "adaptor", "unknown key (known: adapter, condition_layer, image_placeholder, image_template, max_images, model_id, num_query_tokens, projector_hidden_act, vision_feature_layer, vision_feature_select_strategy, vision_post_layernorm)")]
    [InlineData("""{"adapter": "perceiver"}""", "adapter", "must be one of \"qformer\", \"mlp\", got \"perceiver\"")]
    [InlineData("""{"condition_layer": -Infinity}""", "condition_layer", "expected an integer, got -Infinity")]
    [InlineData("""[1, 2]""", "", "expected a JSON object, got [1, 2]")]
    public void A_problem_is_one_line_naming_file_key_and_what_was_expected(string json, string key, string problem)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigJson.Parse<MllmConfig>(json, "mllm/encoder_config.json"));
        Assert.Equal(key, e.Key);
        Assert.Equal(problem, e.Problem);
        Assert.Equal(key.Length == 0 ? $"mllm/encoder_config.json: {problem}" : $"mllm/encoder_config.json: {key}: {problem}", e.Message);
    }

    [Fact]
    public void Reference_library_records_keep_unknown_keys_and_ours_refuse_them()
    {
        // transformers' own file: torch_dtype, initializer_range, ... are kept, not refused.
        var llama = LlamaConfig.Load(Path.Combine(RepoPaths.Root, "tests", "data", "transformers", "llama_gqa"));
        Assert.Contains("torch_dtype", llama.IgnoredKeys!.Keys);
        Assert.Contains("transformers_version", llama.IgnoredKeys.Keys);
        Assert.Equal(2, llama.NumKeyValueHeads);
        Assert.Equal("adaptor", Assert.Throws<ConfigException>(() => ConfigJson.Parse<MllmConfig>("""{"adaptor": "mlp"}""", "e")).Key);
    }

    [Fact]
    public void Non_finite_numbers_python_writes_are_read_and_refused_where_a_number_is_needed()
    {
        // diffusers' DPM-Solver config: "lambda_min_clipped": -Infinity, a key DDIM does not use.
        var path = RepoPaths.Fixtures("diffusers-samplers-a", "dpmpp_2m", "scheduler_config.json");
        Assert.Contains("-Infinity", File.ReadAllText(path));
        var c = UnimoG.Modeling.Schedulers.DdimSchedulerConfig.Load(path);
        Assert.Equal("dpmsolver++", c.IgnoredKeys!["algorithm_type"].GetString());
        // As a value we need, it names the key; inside strings and comments the words are left alone.
        var e = Assert.Throws<ConfigException>(() => ConfigJson.Parse<LlamaConfig>("""{"rope_theta": Infinity}""", "l"));
        Assert.Equal("l: rope_theta: expected a finite number, got Infinity", e.Message);
        var named = ConfigJson.Parse<MllmConfig>("""{"model_id": "NaN -Infinity" /* Infinity */}""", "m");
        Assert.Equal("NaN -Infinity", named.ModelId);
    }

    [Fact]
    public void Tuple_or_scalar_settings_read_both_forms_and_name_the_bad_element()
    {
        var json = Fixture("diffusers-a", "unet", "config.json");
        json["layers_per_block"] = new JsonArray(1, 2);
        json["transformer_layers_per_block"] = new JsonArray(1, new JsonArray(2, 3));
        json["reverse_transformer_layers_per_block"] = new JsonArray(new JsonArray(1, 1, 1), new JsonArray(2, 2));
        var c = ConfigJson.Parse<UNet2DConditionConfig>(json.ToJsonString(), "unet/config.json");
        Assert.Equal([1, 2], c.LayersPerBlock.Items!);
        Assert.Equal(1, c.TransformerLayersPerBlock.At(0).At(0));
        Assert.Equal([2, 3], c.TransformerLayersPerBlock.At(1).Items!);
        var written = JsonNode.Parse(ConfigJson.Write(c))!;
        Assert.Equal("[1,[2,3]]", written["transformer_layers_per_block"]!.ToJsonString());
        Assert.Equal("8", written["attention_head_dim"]!.ToJsonString());
        json["layers_per_block"] = new JsonArray(1, "two");
        var e = Assert.Throws<ConfigException>(() => ConfigJson.Parse<UNet2DConditionConfig>(json.ToJsonString(), "unet/config.json"));
        Assert.Equal("unet/config.json: layers_per_block[1]: expected an integer, got \"two\"", e.Message);
    }

    [Fact]
    public void A_component_nested_in_a_composite_config_is_read_from_its_section()
    {
        var dir = Directory.CreateTempSubdirectory("clip-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), """{"model_type": "clip", "text_config": {"hidden_size": 64, "hidden_act": "tanh"}, "vision_config": {}}""");
            var e = Assert.Throws<ConfigException>(() => ClipTextConfig.Load(dir));
            Assert.Equal("text_config.hidden_act", e.Key);
            Assert.Equal(224, ClipVisionConfig.Load(dir).ImageSize);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
