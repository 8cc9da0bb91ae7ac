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

    /// <param name="inputIds">[B, L] on the weights' device</param>
    public Tensor forward(Tensor inputIds)
    {
        using var positions = torch.arange(inputIds.shape[1], ScalarType.Int64, inputIds.device).unsqueeze(0); // [1, L]
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

    /// <returns>hidden states in the weights' dtype, on their device</returns>
    public ClipOutput forward(Tensor inputIds, Tensor? attentionMask)
    {
        var (b, l) = (inputIds.shape[0], inputIds.shape[1]);
        if (l > _config.MaxPositionEmbeddings)
            throw new ArgumentException($"input_ids has {l} tokens; this CLIP text model takes at most {_config.MaxPositionEmbeddings}");
        var weight = embeddings.token_embedding.weight!;
        var (dtype, device) = (weight.dtype, weight.device);
        using var ids = inputIds.OnDeviceOf(weight);
        using var causal = AttentionMasks.Causal(b, l, 0, dtype, device);
        using var keys = attentionMask?.OnDeviceOf(weight);
        using var padding = keys is null ? null : AttentionMasks.Padding(keys, l, dtype);
        var states = encoder.forward(embeddings.forward(ids), causal, padding);
        var last = final_layer_norm.forward(states[^1]);
        // transformers 4.37: configs with eos_token_id == 2 (before PR #24773) pool at the highest token id,
        // the others at the first eos_token_id.
        using var index = _config.EosTokenId == 2
            ? ids.to_type(ScalarType.Int32).argmax(-1)
            : (ids.to_type(ScalarType.Int32) == _config.EosTokenId).to_type(ScalarType.Int32).argmax(-1);
        using var rows = torch.arange(b, ScalarType.Int64, device);
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

    /// <param name="inputIds">[B, L] token ids (moved to the weights' device)</param>
    /// <param name="attentionMask">[B, L] 1 = token, 0 = padding; optional</param>
    /// <returns>hidden states in the weights' dtype on their device: the caller converts</returns>
    public ClipOutput forward(Tensor inputIds, Tensor? attentionMask = null) => text_model.forward(inputIds, attentionMask);

    /// <summary>Loads a transformers folder (<c>config.json</c> + <c>model.safetensors</c>, sharded or fp16-stored), frozen.</summary>
    public static ClipTextModel FromPretrained(string folder, string? variant = null, ModelPlacement? at = null)
    {
        var config = ClipTextConfig.Load(folder);
        return Pretrained.LoadFrozen(() => new ClipTextModel(config), folder, variant, at);
    }
}
