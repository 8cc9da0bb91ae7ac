using UnimoG.Modeling.Diffusion;
using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>What a CLIP tower returns: last_hidden_state, pooler_output and every hidden state.</summary>
public sealed record ClipOutput(Tensor LastHiddenState, Tensor PoolerOutput, IReadOnlyList<Tensor> HiddenStates) : IDisposable
{
    public void Dispose()
    {
        LastHiddenState.Dispose();
        PoolerOutput.Dispose();
        foreach (var h in HiddenStates) h.Dispose();
    }
}

public sealed class ClipTextEmbeddings : nn.Module
{
    public readonly Embedding token_embedding, position_embedding;

    public ClipTextEmbeddings(ClipTextConfig c) : base(nameof(ClipTextEmbeddings))
    {
        token_embedding = Layers.Embedding(c.VocabSize, c.HiddenSize);
        position_embedding = Layers.Embedding(c.MaxPositionEmbeddings, c.HiddenSize);
        RegisterComponents();
    }

    public Tensor forward(Tensor inputIds)
    {
        using var positions = torch.arange(inputIds.shape[1], ScalarType.Int64).unsqueeze(0); // [1, L]
        using var tokens = token_embedding.forward(inputIds);
        using var pos = position_embedding.forward(positions);
        return tokens + pos; // [B, L, D]
    }
}

public sealed class ClipTextTransformer : nn.Module
{
    private readonly ClipTextConfig _config;
    public readonly ClipTextEmbeddings embeddings;
    public readonly ClipEncoder encoder;
    public readonly LayerNorm final_layer_norm;

    public ClipTextTransformer(ClipTextConfig c) : base(nameof(ClipTextTransformer))
    {
        _config = c;
        embeddings = new ClipTextEmbeddings(c);
        encoder = new ClipEncoder(c.HiddenSize, c.NumAttentionHeads, c.IntermediateSize, c.HiddenAct, c.LayerNormEps, c.NumHiddenLayers);
        final_layer_norm = Layers.LayerNorm(c.HiddenSize, c.LayerNormEps);
        RegisterComponents();
    }

    public ClipOutput forward(Tensor inputIds, Tensor? attentionMask)
    {
        var (b, l) = (inputIds.shape[0], inputIds.shape[1]);
        if (l > _config.MaxPositionEmbeddings)
            throw new ArgumentException($"input_ids has {l} tokens; this CLIP text model takes at most {_config.MaxPositionEmbeddings}");
        using var causal = AttentionMasks.Causal(b, l, 0);
        using var padding = attentionMask is null ? null : AttentionMasks.Padding(attentionMask, l);
        var states = encoder.forward(embeddings.forward(inputIds), causal, padding);
        var last = final_layer_norm.forward(states[^1]);
        // transformers 4.37: configs with eos_token_id == 2 (before PR #24773) pool at the highest token id,
        // the others at the first eos_token_id.
        using var index = _config.EosTokenId == 2
            ? inputIds.to_type(ScalarType.Int32).argmax(-1)
            : (inputIds.to_type(ScalarType.Int32) == _config.EosTokenId).to_type(ScalarType.Int32).argmax(-1);
        using var rows = torch.arange(b, ScalarType.Int64);
        var pooled = last.index(rows, index); // [B, D]
        return new ClipOutput(last, pooled, states);
    }
}

/// <summary>transformers' <c>CLIPTextModel</c>: keys <c>text_model.*</c>.</summary>
public sealed class ClipTextModel : nn.Module
{
    public ClipTextConfig Config { get; }
    public readonly ClipTextTransformer text_model;

    public ClipTextModel(ClipTextConfig config) : base(nameof(ClipTextModel))
    {
        Config = config;
        text_model = new ClipTextTransformer(config);
        RegisterComponents();
    }

    /// <param name="inputIds">[B, L] token ids</param>
    /// <param name="attentionMask">[B, L] 1 = token, 0 = padding; optional</param>
    public ClipOutput forward(Tensor inputIds, Tensor? attentionMask = null) => text_model.forward(inputIds, attentionMask);

    /// <summary>Loads a transformers folder (<c>config.json</c> + <c>model.safetensors</c>, sharded or fp16-stored), frozen.</summary>
    public static ClipTextModel FromPretrained(string folder, string? variant = null, ModelPlacement? at = null)
    {
        var config = ClipTextConfig.Load(folder);
        // position_ids is a non-persistent buffer that older checkpoints still carry.
        var model = Pretrained.Load(() => new ClipTextModel(config), TensorSource.ForComponent(folder, variant),
            new LoadOptions { IgnoreUnexpected = n => n.EndsWith("position_ids", StringComparison.Ordinal) }, at);
        Frozen.Freeze(model);
        return model;
    }
}
