using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Encoders;

/// <summary>transformers' <c>Blip2QFormerConfig</c> (v4.37 names and defaults), also read from a Blip2Config's <c>qformer_config</c>.</summary>
public sealed record QFormerConfig : IValidatedConfig
{
    [JsonPropertyName("architectures")] public IReadOnlyList<string>? Architectures { get; init; } = ["Blip2QFormerModel"];
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "blip_2_qformer";
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    [JsonPropertyName("cross_attention_frequency")] public int CrossAttentionFrequency { get; init; } = 2;
    [JsonPropertyName("encoder_hidden_size")] public int EncoderHiddenSize { get; init; } = 1408;
    /// <summary>Only "absolute" (no relative distance embeddings) is supported.</summary>
    [JsonPropertyName("position_embedding_type")] public string PositionEmbeddingType { get; init; } = "absolute";

    /// <summary>Keys we do not use (dropout, initializer_range, torch_dtype, ...): transformers configs carry many.</summary>
    [JsonExtensionData] public IgnoredKeys? IgnoredKeys { get; init; }

    public static QFormerConfig Load(string modelDir) => ConfigJson.Read<QFormerConfig>(Path.Combine(modelDir, "config.json"), "qformer_config");

    public void Validate(ConfigLocation at)
    {
        if (PositionEmbeddingType != "absolute")
            throw at["position_embedding_type"].Error($"\"{PositionEmbeddingType}\" is not supported: only \"absolute\" (no relative distance embeddings)");
        at["cross_attention_frequency"].InRange(CrossAttentionFrequency, 1);
        at["num_attention_heads"].InRange(NumAttentionHeads, 1);
        if (HiddenSize % NumAttentionHeads != 0)
            throw at["num_attention_heads"].Error($"({NumAttentionHeads}) must divide hidden_size ({HiddenSize})");
        Activations.Check(at["hidden_act"], HiddenAct);
    }
}
