namespace UnimoG.Modeling.Encoders;

/// <summary>transformers' <c>CLIPTextConfig</c> (also read from a full CLIPModel config's <c>text_config</c>).</summary>
public sealed record ClipTextConfig
{
    public int VocabSize { get; init; } = 49408;
    public int HiddenSize { get; init; } = 512;
    public int IntermediateSize { get; init; } = 2048;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 8;
    public int MaxPositionEmbeddings { get; init; } = 77;
    public string HiddenAct { get; init; } = "quick_gelu";
    public double LayerNormEps { get; init; } = 1e-5;
    public int BosTokenId { get; init; } = 49406;
    public int EosTokenId { get; init; } = 49407;
    public int PadTokenId { get; init; } = 1;

    public static ClipTextConfig FromJson(JsonConfig c)
    {
        c = c.Nested("text_config") ?? c;
        var config = new ClipTextConfig
        {
            VocabSize = c.Int("vocab_size", 49408),
            HiddenSize = c.Int("hidden_size", 512),
            IntermediateSize = c.Int("intermediate_size", 2048),
            NumHiddenLayers = c.Int("num_hidden_layers", 12),
            NumAttentionHeads = c.Int("num_attention_heads", 8),
            MaxPositionEmbeddings = c.Int("max_position_embeddings", 77),
            HiddenAct = c.String("hidden_act", "quick_gelu"),
            LayerNormEps = c.Double("layer_norm_eps", 1e-5),
            BosTokenId = c.Int("bos_token_id", 49406),
            EosTokenId = c.Int("eos_token_id", 49407),
            PadTokenId = c.Int("pad_token_id", 1),
        };
        Activations.Get(config.HiddenAct, c);
        if (config.HiddenSize % config.NumAttentionHeads != 0)
            throw c.Unsupported("num_attention_heads", $"({config.NumAttentionHeads}) must divide hidden_size ({config.HiddenSize})");
        return config;
    }

    public static ClipTextConfig Load(string modelDir) => FromJson(JsonConfig.Load(Path.Combine(modelDir, "config.json")));
}

/// <summary>transformers' <c>CLIPVisionConfig</c> (also read from a full CLIPModel config's <c>vision_config</c>).</summary>
public sealed record ClipVisionConfig
{
    public int HiddenSize { get; init; } = 768;
    public int IntermediateSize { get; init; } = 3072;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 12;
    public int NumChannels { get; init; } = 3;
    public int ImageSize { get; init; } = 224;
    public int PatchSize { get; init; } = 32;
    public string HiddenAct { get; init; } = "quick_gelu";
    public double LayerNormEps { get; init; } = 1e-5;

    public int NumPatches => (ImageSize / PatchSize) * (ImageSize / PatchSize);
    public int NumPositions => NumPatches + 1;

    public static ClipVisionConfig FromJson(JsonConfig c)
    {
        c = c.Nested("vision_config") ?? c;
        var config = new ClipVisionConfig
        {
            HiddenSize = c.Int("hidden_size", 768),
            IntermediateSize = c.Int("intermediate_size", 3072),
            NumHiddenLayers = c.Int("num_hidden_layers", 12),
            NumAttentionHeads = c.Int("num_attention_heads", 12),
            NumChannels = c.Int("num_channels", 3),
            ImageSize = c.Int("image_size", 224),
            PatchSize = c.Int("patch_size", 32),
            HiddenAct = c.String("hidden_act", "quick_gelu"),
            LayerNormEps = c.Double("layer_norm_eps", 1e-5),
        };
        Activations.Get(config.HiddenAct, c);
        if (config.HiddenSize % config.NumAttentionHeads != 0)
            throw c.Unsupported("num_attention_heads", $"({config.NumAttentionHeads}) must divide hidden_size ({config.HiddenSize})");
        return config;
    }

    public static ClipVisionConfig Load(string modelDir) => FromJson(JsonConfig.Load(Path.Combine(modelDir, "config.json")));

    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["architectures"] = new[] { "CLIPVisionModel" },
        ["model_type"] = "clip_vision_model",
        ["hidden_size"] = HiddenSize,
        ["intermediate_size"] = IntermediateSize,
        ["num_hidden_layers"] = NumHiddenLayers,
        ["num_attention_heads"] = NumAttentionHeads,
        ["num_channels"] = NumChannels,
        ["image_size"] = ImageSize,
        ["patch_size"] = PatchSize,
        ["hidden_act"] = HiddenAct,
        ["layer_norm_eps"] = LayerNormEps,
    }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
}
