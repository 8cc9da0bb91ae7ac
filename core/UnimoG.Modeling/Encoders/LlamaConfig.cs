using System.Text.Json;
using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Encoders;

/// <summary>transformers' <c>LlamaConfig</c> (v4.37 names and defaults), also read from a composite config's <c>text_config</c>.</summary>
public sealed record LlamaConfig : IValidatedConfig
{
    [JsonPropertyName("architectures")] public IReadOnlyList<string>? Architectures { get; init; } = ["LlamaForCausalLM"];
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "llama";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 32000;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 4096;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 11008;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 32;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 32;

    private readonly int? _numKeyValueHeads;

    /// <summary>transformers: absent (or null) means num_attention_heads (no grouped-query attention).</summary>
    [JsonPropertyName("num_key_value_heads")]
    public int NumKeyValueHeads { get => _numKeyValueHeads ?? NumAttentionHeads; init => _numKeyValueHeads = value; }

    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 2048;
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-6;
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;
    /// <summary>Only null (plain rotary embeddings with rope_theta) is supported.</summary>
    [JsonPropertyName("rope_scaling")] public JsonElement? RopeScaling { get; init; }
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; init; }
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; }
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "silu";
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; init; } = 1;
    /// <summary>One id or a list of them (generation stops at any).</summary>
    [JsonPropertyName("eos_token_id")] public OneOrList<int>? EosTokenId { get; init; } = 2;
    [JsonPropertyName("pad_token_id")] public int? PadTokenId { get; init; }

    /// <summary>Keys we do not use (dropout, initializer_range, torch_dtype, use_cache, ...): transformers configs carry many.</summary>
    [JsonExtensionData] public IgnoredKeys? IgnoredKeys { get; init; }

    public int HeadDim => HiddenSize / NumAttentionHeads;

    public int[] EosTokenIds => EosTokenId is { } e ? e.Items?.ToArray() ?? [e.At(0)] : [];

    public static LlamaConfig Load(string modelDir) => ConfigJson.Read<LlamaConfig>(Path.Combine(modelDir, "config.json"), "text_config");

    public void Validate(ConfigLocation at)
    {
        if (RopeScaling is { ValueKind: not JsonValueKind.Null } scaling)
            throw at["rope_scaling"].Error($"{scaling.GetRawText()} is not supported: only null (plain rotary embeddings with rope_theta)");
        at["num_attention_heads"].InRange(NumAttentionHeads, 1);
        at["num_key_value_heads"].InRange(NumKeyValueHeads, 1);
        if (HiddenSize % NumAttentionHeads != 0)
            throw at["num_attention_heads"].Error($"({NumAttentionHeads}) must divide hidden_size ({HiddenSize})");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw at["num_key_value_heads"].Error($"({NumKeyValueHeads}) must divide num_attention_heads ({NumAttentionHeads})");
        if (HeadDim % 2 != 0) throw at["hidden_size"].Error("divided by num_attention_heads must be even for rotary embeddings");
        Activations.Check(at["hidden_act"], HiddenAct);
    }
}
