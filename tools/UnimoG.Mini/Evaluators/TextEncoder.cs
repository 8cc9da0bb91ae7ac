using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Data.Config;
using UnimoG.Modeling.Encoders;
using UnimoG.Text.Tokenizers;
using static TorchSharp.torch;

namespace UnimoG.Mini.Evaluators;

/// <summary>The CLIP-like evaluator's text tower: vocabulary (our tokenizer's), width, layers, heads, longest text.</summary>
public sealed record TextEncoderConfig : IValidatedConfig
{
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = MiniConfigs.VocabSize;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 128;
    [JsonPropertyName("num_hidden_layers")] public int Layers { get; init; } = 2;
    [JsonPropertyName("num_attention_heads")] public int Heads { get; init; } = 4;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 256;
    [JsonPropertyName("max_position_embeddings")] public int MaxLength { get; init; } = 48;
    [JsonPropertyName("embed_dim")] public int EmbedDim { get; init; } = 128;

    public void Validate(ConfigLocation at)
    {
        at["num_attention_heads"].InRange(Heads, 1);
        if (HiddenSize % Heads != 0) throw at["num_attention_heads"].Error($"({Heads}) must divide hidden_size ({HiddenSize})");
        at["vocab_size"].InRange(VocabSize, 1);
        at["num_hidden_layers"].InRange(Layers, 1);
        at["max_position_embeddings"].InRange(MaxLength, 3);
        at["embed_dim"].InRange(EmbedDim, 1);
    }
}

/// <summary>
/// A small bidirectional transformer over our SentencePiece ids (BOS text EOS): token + learned position embeddings,
/// CLIP's pre-norm layers (<see cref="ClipEncoder"/>), final layer norm, mean over the real tokens, linear to
/// <c>embed_dim</c>. Keys: <c>token_embedding</c>, <c>position_embedding</c>, <c>encoder.layers.N.*</c>,
/// <c>final_layer_norm</c>, <c>proj</c>.
/// </summary>
public sealed class TextEncoder : nn.Module
{
    public TextEncoderConfig Config { get; }
    public readonly Embedding token_embedding, position_embedding;
    public readonly ClipEncoder encoder;
    public readonly LayerNorm final_layer_norm;
    public readonly Linear proj;

    public TextEncoder(TextEncoderConfig config) : base(nameof(TextEncoder))
    {
        config.Validate(new ConfigLocation("text encoder config"));
        Config = config;
        token_embedding = nn.Embedding(config.VocabSize, config.HiddenSize);
        position_embedding = nn.Embedding(config.MaxLength, config.HiddenSize);
        encoder = new ClipEncoder(config.HiddenSize, config.Heads, config.IntermediateSize, "gelu", 1e-5, config.Layers);
        final_layer_norm = nn.LayerNorm(config.HiddenSize);
        proj = nn.Linear(config.HiddenSize, config.EmbedDim);
        RegisterComponents();
    }

    /// <summary>Ids [B, L] and mask [B, L] of texts: BOS, the text's tokens (cut to fit), EOS, right padding with 0.</summary>
    public (Tensor Ids, Tensor Mask) Tokenize(LlamaSentencePieceTokenizer tokenizer, IReadOnlyList<string> texts)
    {
        var rows = texts.Select(t =>
        {
            var ids = tokenizer.Encode(t, addBos: true);
            if (ids.Length > Config.MaxLength - 1) ids = ids[..(Config.MaxLength - 1)];
            return ids.Append(tokenizer.EosId).ToArray();
        }).ToList();
        var length = rows.Max(r => r.Length);
        var flat = new long[texts.Count * length];
        var mask = new long[texts.Count * length];
        for (var i = 0; i < rows.Count; i++)
            for (var t = 0; t < rows[i].Length; t++)
            {
                flat[i * length + t] = rows[i][t];
                mask[i * length + t] = 1;
            }
        return (torch.tensor(flat).view(texts.Count, length), torch.tensor(mask).view(texts.Count, length));
    }

    /// <returns>[B, embed_dim]</returns>
    public Tensor forward(Tensor ids, Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        var l = ids.shape[1];
        var x = token_embedding.forward(ids) + position_embedding.forward(torch.arange(l, ScalarType.Int64).unsqueeze(0));  // [B, L, D]
        var states = encoder.forward(x, null, AttentionMasks.Padding(mask, l));
        var h = final_layer_norm.forward(states[^1]);
        var m = mask.to_type(ScalarType.Float32).unsqueeze(-1);                                                             // [B, L, 1]
        var pooled = (h * m).sum(1) / m.sum(1);                                                                            // [B, D]
        return proj.forward(pooled).MoveToOuterDisposeScope();
    }
}
