using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Encoders;

/// <summary>transformers' <c>CLIPTextConfig</c> (v4.37 names and defaults), also read from a full CLIPModel config's <c>text_config</c>.</summary>
public sealed record ClipTextConfig : IValidatedConfig
{
    [JsonPropertyName("architectures")] public IReadOnlyList<string>? Architectures { get; init; } = ["CLIPTextModel"];
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "clip_text_model";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 49408;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 512;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 2048;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 8;
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 77;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "quick_gelu";
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-5;
    [JsonPropertyName("bos_token_id")] public int BosTokenId { get; init; } = 49406;
    [JsonPropertyName("eos_token_id")] public int EosTokenId { get; init; } = 49407;
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; } = 1;

    /// <summary>Keys we do not use (dropout, initializer_range, torch_dtype, ...): transformers configs carry many.</summary>
    [JsonExtensionData] public IgnoredKeys? IgnoredKeys { get; init; }

    public static ClipTextConfig Load(string modelDir) => ConfigJson.Read<ClipTextConfig>(Path.Combine(modelDir, "config.json"), "text_config");

    public void Validate(ConfigLocation at)
    {
        Activations.Check(at["hidden_act"], HiddenAct);
        at["num_attention_heads"].InRange(NumAttentionHeads, 1);
        if (HiddenSize % NumAttentionHeads != 0)
            throw at["num_attention_heads"].Error($"({NumAttentionHeads}) must divide hidden_size ({HiddenSize})");
    }
}
