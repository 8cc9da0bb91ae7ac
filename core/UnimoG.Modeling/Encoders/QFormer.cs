using UnimoG.Modeling.Diffusion;
using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>BERT-style attention projections: <c>query</c>, <c>key</c>, <c>value</c> (keys from the encoder width for cross-attention).</summary>
public sealed class QFormerMultiHeadAttention : nn.Module
{
    private readonly int _heads, _headDim;
    public readonly Linear query, key, value;

    public QFormerMultiHeadAttention(QFormerConfig c, bool cross) : base(nameof(QFormerMultiHeadAttention))
    {
        _heads = c.NumAttentionHeads;
        _headDim = c.HiddenSize / c.NumAttentionHeads;
        var kvWidth = cross ? c.EncoderHiddenSize : c.HiddenSize;
        query = Layers.Linear(c.HiddenSize, c.HiddenSize);
        key = Layers.Linear(kvWidth, c.HiddenSize);
        value = Layers.Linear(kvWidth, c.HiddenSize);
        RegisterComponents();
    }

    /// <param name="mask">additive [B, 1, 1, S] or null</param>
    public Tensor forward(Tensor x, Tensor? context, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        var kv = context ?? x;
        var (b, l, d) = (x.shape[0], x.shape[1], x.shape[2]);
        var s = kv.shape[1];
        var q = query.forward(x).view(b, l, _heads, _headDim).transpose(1, 2);   // [B, H, L, Dh]
        var k = key.forward(kv).view(b, s, _heads, _headDim).transpose(1, 2);   // [B, H, S, Dh]
        var v = value.forward(kv).view(b, s, _heads, _headDim).transpose(1, 2);
        var scores = torch.matmul(q, k.transpose(-1, -2)) / Math.Sqrt(_headDim);            // [B, H, L, S]
        if (mask is not null) scores = scores + mask;
        var w = torch.softmax(scores, -1, ScalarType.Float32).to_type(q.dtype); // float32 softmax, cast back
        return torch.matmul(w, v).transpose(1, 2).reshape(b, l, d).MoveToOuterDisposeScope();
    }
}

/// <summary><c>dense</c> then <c>LayerNorm(x + residual)</c>: BERT's self-output and output blocks.</summary>
public sealed class QFormerOutput : nn.Module
{
    public readonly Linear dense;
    public readonly LayerNorm LayerNorm;

    public QFormerOutput(int input, int hidden, double eps) : base(nameof(QFormerOutput))
    {
        dense = Layers.Linear(input, hidden);
        LayerNorm = Layers.LayerNorm(hidden, eps);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor residual)
    {
        using var d = dense.forward(x);
        using var sum = d + residual;
        return LayerNorm.forward(sum);
    }
}

public sealed class QFormerAttention : nn.Module
{
    public readonly QFormerMultiHeadAttention attention;
    public readonly QFormerOutput output;

    public QFormerAttention(QFormerConfig c, bool cross) : base(nameof(QFormerAttention))
    {
        attention = new QFormerMultiHeadAttention(c, cross);
        output = new QFormerOutput(c.HiddenSize, c.HiddenSize, c.LayerNormEps);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor? context, Tensor? mask)
    {
        using var a = attention.forward(x, context, mask);
        return output.forward(a, x);
    }
}

public sealed class QFormerIntermediate : nn.Module
{
    private readonly Func<Tensor, Tensor> _act;
    public readonly Linear dense;

    public QFormerIntermediate(QFormerConfig c) : base(nameof(QFormerIntermediate))
    {
        _act = Activations.Get(c.HiddenAct);
        dense = Layers.Linear(c.HiddenSize, c.IntermediateSize);
        RegisterComponents();
    }

    public Tensor forward(Tensor x)
    {
        using var h = dense.forward(x);
        return _act(h);
    }
}

/// <summary>Self-attention over the queries, cross-attention to the image every <c>cross_attention_frequency</c> layers, query FFN.</summary>
public sealed class QFormerLayer : nn.Module
{
    public readonly QFormerAttention attention;
    public readonly QFormerAttention? crossattention;
    public readonly QFormerIntermediate intermediate_query;
    public readonly QFormerOutput output_query;

    public QFormerLayer(QFormerConfig c, int index) : base(nameof(QFormerLayer))
    {
        attention = new QFormerAttention(c, cross: false);
        if (index % c.CrossAttentionFrequency == 0) crossattention = new QFormerAttention(c, cross: true);
        intermediate_query = new QFormerIntermediate(c);
        output_query = new QFormerOutput(c.IntermediateSize, c.HiddenSize, c.LayerNormEps);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor image, Tensor? selfMask, Tensor? imageMask)
    {
        using var scope = torch.NewDisposeScope();
        var h = attention.forward(x, null, selfMask);
        if (crossattention is not null) h = crossattention.forward(h, image, imageMask);
        return output_query.forward(intermediate_query.forward(h), h).MoveToOuterDisposeScope();
    }
}

public sealed class QFormerEncoder : nn.Module
{
    public readonly ModuleList<QFormerLayer> layer;

    public QFormerEncoder(QFormerConfig c) : base(nameof(QFormerEncoder))
    {
        layer = new ModuleList<QFormerLayer>(Enumerable.Range(0, c.NumHiddenLayers).Select(i => new QFormerLayer(c, i)).ToArray());
        RegisterComponents();
    }
}

/// <summary>transformers' <c>Blip2QFormerModel</c> over query embeddings only (no text input), as MiniGPT-4 uses it.</summary>
public sealed class Blip2QFormerModel : nn.Module
{
    public QFormerConfig Config { get; }
    public readonly LayerNorm layernorm;
    public readonly QFormerEncoder encoder;

    public Blip2QFormerModel(QFormerConfig config) : base(nameof(Blip2QFormerModel))
    {
        Config = config;
        layernorm = Layers.LayerNorm(config.HiddenSize, config.LayerNormEps);
        encoder = new QFormerEncoder(config);
        RegisterComponents();
    }

    /// <param name="queryEmbeds">[B, Q, hidden_size]</param>
    /// <param name="encoderHiddenStates">[B, S, encoder_hidden_size]: the vision features</param>
    /// <param name="attentionMask">[B, Q] 1/0 over the queries (BERT's additive -10000), optional</param>
    /// <param name="encoderAttentionMask">[B, S] 1/0 over the features (additive finfo.min), optional</param>
    /// <returns>hidden states in the weights' dtype on their device (inputs are cast there first)</returns>
    public TransformerOutput forward(Tensor queryEmbeds, Tensor encoderHiddenStates, Tensor? attentionMask = null, Tensor? encoderAttentionMask = null)
    {
        if (queryEmbeds.dim() != 3 || queryEmbeds.shape[2] != Config.HiddenSize)
            throw new ArgumentException($"query_embeds must be [B, Q, {Config.HiddenSize}], got [{string.Join(", ", queryEmbeds.shape)}]");
        if (encoderHiddenStates.dim() != 3 || encoderHiddenStates.shape[2] != Config.EncoderHiddenSize || encoderHiddenStates.shape[0] != queryEmbeds.shape[0])
            throw new ArgumentException($"encoder_hidden_states must be [{queryEmbeds.shape[0]}, S, {Config.EncoderHiddenSize}], got [{string.Join(", ", encoderHiddenStates.shape)}]");
        // The model's entry: inputs in the weights' dtype on their device; masks built there too. transformers 4.37:
        // get_extended_attention_mask uses -10000, invert_attention_mask finfo(dtype).min, both in the model's dtype.
        using var scope = torch.NewDisposeScope();
        var weight = layernorm.weight!;
        var dtype = weight.dtype;
        var queries = queryEmbeds.CastLike(weight);
        var image = encoderHiddenStates.CastLike(weight);
        var selfMask = attentionMask is null ? null : (1.0f - attentionMask.OnDeviceOf(weight).to_type(dtype).unsqueeze(1).unsqueeze(1)) * -10000.0f;
        var imageMask = encoderAttentionMask is null ? null : (1.0f - encoderAttentionMask.OnDeviceOf(weight).to_type(dtype).unsqueeze(1).unsqueeze(1)) * Compute.MinOf(dtype);
        var states = new List<Tensor> { layernorm.forward(queries) };
        foreach (var l in encoder.layer)
            states.Add(l.forward(states[^1], image, selfMask, imageMask));
        foreach (var h in states) h.MoveToOuterDisposeScope();
        return new TransformerOutput(states[^1].alias().MoveToOuterDisposeScope(), states);
    }

    public static Blip2QFormerModel FromPretrained(string folder, string? variant = null, ModelPlacement? at = null)
    {
        var config = QFormerConfig.Load(folder);
        return Pretrained.LoadFrozen(() => new Blip2QFormerModel(config), folder, variant, at);
    }
}
