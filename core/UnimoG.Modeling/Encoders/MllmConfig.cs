using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Encoders;

/// <summary>
/// <c>encoder_config.json</c> of a composite MLLM folder (see docs/encoder.md): which adapter bridges the vision
/// tower and the LLM, which vision features feed it, how an image is written into the prompt, and which LLM layer
/// is the condition. The parts' own configs sit in their folders (<c>vision_model/config.json</c>, ...). Our own
/// format, so an unknown key is refused (see <see cref="ConfigJson"/>).
/// </summary>
public sealed record MllmConfig : IValidatedConfig
{
    [JsonPropertyName("model_id")] public string ModelId { get; init; } = "mllm";
    /// <summary><c>qformer</c> (MiniGPT-4) or <c>mlp</c> (LLaVA-1.5).</summary>
    [JsonPropertyName("adapter")] public string Adapter { get; init; } = "qformer";
    [JsonPropertyName("num_query_tokens")] public int NumQueryTokens { get; init; } = 32;
    [JsonPropertyName("projector_hidden_act")] public string ProjectorHiddenAct { get; init; } = "gelu";
    /// <summary>Index into the vision tower's hidden states (-1 = last layer, -2 = penultimate as LLaVA).</summary>
    [JsonPropertyName("vision_feature_layer")] public int VisionFeatureLayer { get; init; } = -1;
    /// <summary><c>full</c> keeps the class token, <c>default</c> drops it (LLaVA's names).</summary>
    [JsonPropertyName("vision_feature_select_strategy")] public string VisionFeatureSelectStrategy { get; init; } = "full";
    /// <summary>Apply the tower's post_layernorm to every token, as BLIP-2 / MiniGPT-4 (<c>ln_vision</c>) do.</summary>
    [JsonPropertyName("vision_post_layernorm")] public bool VisionPostLayernorm { get; init; } = true;
    /// <summary>What stands for one image in the prompt; <see cref="ImagePlaceholder"/> marks where its visual tokens go.</summary>
    [JsonPropertyName("image_template")] public string ImageTemplate { get; init; } = "<Img><ImageHere></Img>";
    [JsonPropertyName("image_placeholder")] public string ImagePlaceholder { get; init; } = "<ImageHere>";
    /// <summary>Index into the LLM's hidden states (transformers' tuple; -1 = final output after the norm).</summary>
    [JsonPropertyName("condition_layer")] public int ConditionLayer { get; init; } = -1;
    [JsonPropertyName("max_images")] public int MaxImages { get; init; } = 8;

    public static MllmConfig Load(string folder) => ConfigJson.Read<MllmConfig>(Path.Combine(folder, "encoder_config.json"));

    public void Validate(ConfigLocation at)
    {
        at["adapter"].OneOf(Adapter, "qformer", "mlp");
        at["vision_feature_select_strategy"].OneOf(VisionFeatureSelectStrategy, "full", "default");
        if (ImagePlaceholder.Length == 0) throw at["image_placeholder"].Error("must not be empty");
        var count = (ImageTemplate.Length - ImageTemplate.Replace(ImagePlaceholder, "").Length) / ImagePlaceholder.Length;
        if (count != 1) throw at["image_template"].Error($"must contain \"{ImagePlaceholder}\" exactly once");
        at["num_query_tokens"].InRange(NumQueryTokens, 1);
        at["max_images"].InRange(MaxImages, 0);
        Activations.Check(at["projector_hidden_act"], ProjectorHiddenAct);
    }

    /// <summary>The text before and after the visual tokens of one image.</summary>
    public (string Before, string After) TemplateParts()
    {
        var i = ImageTemplate.IndexOf(ImagePlaceholder, StringComparison.Ordinal);
        return (ImageTemplate[..i], ImageTemplate[(i + ImagePlaceholder.Length)..]);
    }
}
