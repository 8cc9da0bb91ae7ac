using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Encoders;

/// <summary>transformers' <c>CLIPVisionConfig</c> (v4.37 names and defaults), also read from a full CLIPModel config's <c>vision_config</c>.</summary>
public sealed record ClipVisionConfig : IValidatedConfig
{
    [JsonPropertyName("architectures")] public IReadOnlyList<string>? Architectures { get; init; } = ["CLIPVisionModel"];
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "clip_vision_model";
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("num_channels")] public int NumChannels { get; init; } = 3;
    [JsonPropertyName("image_size")] public int ImageSize { get; init; } = 224;
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 32;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "quick_gelu";
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-5;

    /// <summary>Keys we do not use (dropout, initializer_range, torch_dtype, ...): transformers configs carry many.</summary>
    [JsonExtensionData] public IgnoredKeys? IgnoredKeys { get; init; }

    public int NumPatches => (ImageSize / PatchSize) * (ImageSize / PatchSize);
    public int NumPositions => NumPatches + 1;

    public static ClipVisionConfig Load(string modelDir) => ConfigJson.Read<ClipVisionConfig>(Path.Combine(modelDir, "config.json"), "vision_config");

    public void Validate(ConfigLocation at)
    {
        Activations.Check(at["hidden_act"], HiddenAct);
        at["num_attention_heads"].InRange(NumAttentionHeads, 1);
        if (HiddenSize % NumAttentionHeads != 0)
            throw at["num_attention_heads"].Error($"({NumAttentionHeads}) must divide hidden_size ({HiddenSize})");
        at["patch_size"].InRange(PatchSize, 1);
    }
}
