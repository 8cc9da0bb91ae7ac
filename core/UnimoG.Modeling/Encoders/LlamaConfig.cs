using System.Text.Json;

namespace UnimoG.Modeling.Encoders;

/// <summary>transformers' <c>LlamaConfig</c> (v4.37 names and defaults).</summary>
public sealed record LlamaConfig
{
    public int VocabSize { get; init; } = 32000;
    public int HiddenSize { get; init; } = 4096;
    public int IntermediateSize { get; init; } = 11008;
    public int NumHiddenLayers { get; init; } = 32;
    public int NumAttentionHeads { get; init; } = 32;
    public int NumKeyValueHeads { get; init; } = 32;
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000.0;
    public bool AttentionBias { get; init; }
    public bool TieWordEmbeddings { get; init; }
    public string HiddenAct { get; init; } = "silu";
    public int? BosTokenId { get; init; } = 1;
    public int[] EosTokenIds { get; init; } = [2];
    public int? PadTokenId { get; init; }

    public int HeadDim => HiddenSize / NumAttentionHeads;

    public static LlamaConfig FromJson(JsonConfig c)
    {
        c = c.Nested("text_config") ?? c;
        var config = new LlamaConfig
        {
            VocabSize = c.Int("vocab_size", 32000),
            HiddenSize = c.Int("hidden_size", 4096),
            IntermediateSize = c.Int("intermediate_size", 11008),
            NumHiddenLayers = c.Int("num_hidden_layers", 32),
            NumAttentionHeads = c.Int("num_attention_heads", 32),
            MaxPositionEmbeddings = c.Int("max_position_embeddings", 2048),
            RmsNormEps = c.Double("rms_norm_eps", 1e-6),
            RopeTheta = c.Double("rope_theta", 10000.0),
            AttentionBias = c.Bool("attention_bias", false),
            TieWordEmbeddings = c.Bool("tie_word_embeddings", false),
            HiddenAct = c.String("hidden_act", "silu"),
            BosTokenId = c.Has("bos_token_id") ? c.IntOrNull("bos_token_id") : 1,
            EosTokenIds = c.Has("eos_token_id") ? c.Ints("eos_token_id") : [2],
            PadTokenId = c.IntOrNull("pad_token_id"),
        };
        config = config with { NumKeyValueHeads = c.Int("num_key_value_heads", config.NumAttentionHeads) };
        if (c.Raw("rope_scaling") is { } scaling)
            throw c.Unsupported("rope_scaling", $"is {scaling.GetRawText()}; only null (plain rotary embeddings with rope_theta) is supported");
        if (config.HiddenSize % config.NumAttentionHeads != 0)
            throw c.Unsupported("num_attention_heads", $"({config.NumAttentionHeads}) must divide hidden_size ({config.HiddenSize})");
        if (config.NumAttentionHeads % config.NumKeyValueHeads != 0)
            throw c.Unsupported("num_key_value_heads", $"({config.NumKeyValueHeads}) must divide num_attention_heads ({config.NumAttentionHeads})");
        if (config.HeadDim % 2 != 0) throw c.Unsupported("hidden_size", "divided by num_attention_heads must be even for rotary embeddings");
        Activations.Get(config.HiddenAct, c);
        return config;
    }

    public static LlamaConfig Load(string modelDir) => FromJson(JsonConfig.Load(Path.Combine(modelDir, "config.json")));

    /// <summary>The transformers-style <c>config.json</c> text (written into composite folders and by tests).</summary>
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["architectures"] = new[] { "LlamaForCausalLM" },
        ["model_type"] = "llama",
        ["vocab_size"] = VocabSize,
        ["hidden_size"] = HiddenSize,
        ["intermediate_size"] = IntermediateSize,
        ["num_hidden_layers"] = NumHiddenLayers,
        ["num_attention_heads"] = NumAttentionHeads,
        ["num_key_value_heads"] = NumKeyValueHeads,
        ["max_position_embeddings"] = MaxPositionEmbeddings,
        ["rms_norm_eps"] = RmsNormEps,
        ["rope_theta"] = RopeTheta,
        ["rope_scaling"] = null,
        ["attention_bias"] = AttentionBias,
        ["tie_word_embeddings"] = TieWordEmbeddings,
        ["hidden_act"] = HiddenAct,
        ["bos_token_id"] = BosTokenId,
        ["eos_token_id"] = EosTokenIds.Length == 1 ? EosTokenIds[0] : EosTokenIds,
        ["pad_token_id"] = PadTokenId,
    }, new JsonSerializerOptions { WriteIndented = true });
}
