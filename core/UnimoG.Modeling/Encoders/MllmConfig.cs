using System.Text.Json;

namespace UnimoG.Modeling.Encoders;

/// <summary>
/// <c>encoder_config.json</c> of a composite MLLM folder (see docs/encoder.md): which adapter bridges the vision
/// tower and the LLM, which vision features feed it, how an image is written into the prompt, and which LLM layer
/// is the condition. The parts' own configs sit in their folders (<c>vision_model/config.json</c>, ...).
/// </summary>
public sealed record MllmConfig
{
    public string ModelId { get; init; } = "mllm";
    /// <summary><c>qformer</c> (MiniGPT-4) or <c>mlp</c> (LLaVA-1.5).</summary>
    public string Adapter { get; init; } = "qformer";
    public int NumQueryTokens { get; init; } = 32;
    public string ProjectorHiddenAct { get; init; } = "gelu";
    /// <summary>Index into the vision tower's hidden states (-1 = last layer, -2 = penultimate as LLaVA).</summary>
    public int VisionFeatureLayer { get; init; } = -1;
    /// <summary><c>full</c> keeps the class token, <c>default</c> drops it (LLaVA's names).</summary>
    public string VisionFeatureSelectStrategy { get; init; } = "full";
    /// <summary>Apply the tower's post_layernorm to every token, as BLIP-2 / MiniGPT-4 (<c>ln_vision</c>) do.</summary>
    public bool VisionPostLayernorm { get; init; } = true;
    /// <summary>What stands for one image in the prompt; <see cref="ImagePlaceholder"/> marks where its visual tokens go.</summary>
    public string ImageTemplate { get; init; } = "<Img><ImageHere></Img>";
    public string ImagePlaceholder { get; init; } = "<ImageHere>";
    /// <summary>Index into the LLM's hidden states (transformers' tuple; -1 = final output after the norm).</summary>
    public int ConditionLayer { get; init; } = -1;
    public int MaxImages { get; init; } = 8;

    public static MllmConfig FromJson(JsonConfig c)
    {
        var config = new MllmConfig
        {
            ModelId = c.String("model_id", "mllm"),
            Adapter = c.String("adapter", "qformer"),
            NumQueryTokens = c.Int("num_query_tokens", 32),
            ProjectorHiddenAct = c.String("projector_hidden_act", "gelu"),
            VisionFeatureLayer = c.Int("vision_feature_layer", -1),
            VisionFeatureSelectStrategy = c.String("vision_feature_select_strategy", "full"),
            VisionPostLayernorm = c.Bool("vision_post_layernorm", true),
            ImageTemplate = c.String("image_template", "<Img><ImageHere></Img>"),
            ImagePlaceholder = c.String("image_placeholder", "<ImageHere>"),
            ConditionLayer = c.Int("condition_layer", -1),
            MaxImages = c.Int("max_images", 8),
        };
        if (config.Adapter is not ("qformer" or "mlp")) throw c.Unsupported("adapter", $"is \"{config.Adapter}\"; use \"qformer\" or \"mlp\"");
        if (config.VisionFeatureSelectStrategy is not ("full" or "default"))
            throw c.Unsupported("vision_feature_select_strategy", $"is \"{config.VisionFeatureSelectStrategy}\"; use \"full\" or \"default\"");
        if (config.ImagePlaceholder.Length == 0) throw c.Unsupported("image_placeholder", "must not be empty");
        var count = (config.ImageTemplate.Length - config.ImageTemplate.Replace(config.ImagePlaceholder, "").Length) / config.ImagePlaceholder.Length;
        if (count != 1) throw c.Unsupported("image_template", $"must contain \"{config.ImagePlaceholder}\" exactly once");
        if (config.NumQueryTokens < 1) throw c.Unsupported("num_query_tokens", "must be at least 1");
        if (config.MaxImages < 0) throw c.Unsupported("max_images", "must not be negative");
        Activations.Get(config.ProjectorHiddenAct, c, "projector_hidden_act");
        return config;
    }

    public static MllmConfig Load(string folder) => FromJson(JsonConfig.Load(Path.Combine(folder, "encoder_config.json")));

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["model_id"] = ModelId,
        ["adapter"] = Adapter,
        ["num_query_tokens"] = NumQueryTokens,
        ["projector_hidden_act"] = ProjectorHiddenAct,
        ["vision_feature_layer"] = VisionFeatureLayer,
        ["vision_feature_select_strategy"] = VisionFeatureSelectStrategy,
        ["vision_post_layernorm"] = VisionPostLayernorm,
        ["image_template"] = ImageTemplate,
        ["image_placeholder"] = ImagePlaceholder,
        ["condition_layer"] = ConditionLayer,
        ["max_images"] = MaxImages,
    }, new JsonSerializerOptions { WriteIndented = true });

    /// <summary>The text before and after the visual tokens of one image.</summary>
    public (string Before, string After) TemplateParts()
    {
        var i = ImageTemplate.IndexOf(ImagePlaceholder, StringComparison.Ordinal);
        return (ImageTemplate[..i], ImageTemplate[(i + ImagePlaceholder.Length)..]);
    }
}
