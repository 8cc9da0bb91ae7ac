using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>CLIP's multi-head self-attention (transformers <c>CLIPAttention</c>, eager).</summary>
public sealed class ClipAttention : nn.Module
{
    private readonly int _heads, _headDim;
    private readonly double _scale;
    public readonly Linear q_proj, k_proj, v_proj, out_proj;

    public ClipAttention(int hidden, int heads) : base(nameof(ClipAttention))
    {
        _heads = heads;
        _headDim = hidden / heads;
        _scale = Math.Pow(_headDim, -0.5);
        q_proj = Layers.Linear(hidden, hidden);
        k_proj = Layers.Linear(hidden, hidden);
        v_proj = Layers.Linear(hidden, hidden);
        out_proj = Layers.Linear(hidden, hidden);
        RegisterComponents();
    }

    /// <param name="causalMask">[B, 1, L, L] additive or null</param>
    /// <param name="paddingMask">[B, 1, L, L] additive or null; added separately, as transformers does</param>
    public Tensor forward(Tensor x, Tensor? causalMask, Tensor? paddingMask)
    {
        using var scope = torch.NewDisposeScope();
        var (b, l, d) = (x.shape[0], x.shape[1], x.shape[2]);
        var q = (q_proj.forward(x) * _scale).view(b, l, _heads, _headDim).transpose(1, 2); // [B, H, L, Dh]
        var k = k_proj.forward(x).view(b, l, _heads, _headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(b, l, _heads, _headDim).transpose(1, 2);
        var w = torch.matmul(q, k.transpose(-1, -2)); // [B, H, L, L]
        if (causalMask is not null) w = w + causalMask;
        if (paddingMask is not null) w = w + paddingMask;
        w = torch.softmax(w, -1);
        var o = torch.matmul(w, v).transpose(1, 2).reshape(b, l, d); // [B, L, D]
        return out_proj.forward(o).MoveToOuterDisposeScope();
    }
}

public sealed class ClipMlp : nn.Module
{
    private readonly Func<Tensor, Tensor> _act;
    public readonly Linear fc1, fc2;

    public ClipMlp(int hidden, int intermediate, string act) : base(nameof(ClipMlp))
    {
        _act = Activations.Get(act);
        fc1 = Layers.Linear(hidden, intermediate);
        fc2 = Layers.Linear(intermediate, hidden);
        RegisterComponents();
    }

    public Tensor forward(Tensor x) => fc2.forward(_act(fc1.forward(x)));
}

/// <summary>Pre-norm transformer block: x + attn(ln1(x)), then x + mlp(ln2(x)).</summary>
public sealed class ClipEncoderLayer : nn.Module
{
    public readonly ClipAttention self_attn;
    public readonly LayerNorm layer_norm1, layer_norm2;
    public readonly ClipMlp mlp;

    public ClipEncoderLayer(int hidden, int heads, int intermediate, string act, double eps) : base(nameof(ClipEncoderLayer))
    {
        self_attn = new ClipAttention(hidden, heads);
        layer_norm1 = Layers.LayerNorm(hidden, eps);
        mlp = new ClipMlp(hidden, intermediate, act);
        layer_norm2 = Layers.LayerNorm(hidden, eps);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor? causalMask, Tensor? paddingMask)
    {
        using var scope = torch.NewDisposeScope();
        var h = x + self_attn.forward(layer_norm1.forward(x), causalMask, paddingMask);
        h = h + mlp.forward(layer_norm2.forward(h));
        return h.MoveToOuterDisposeScope();
    }
}

/// <summary>The layer stack shared by the CLIP text and vision towers; returns every hidden state.</summary>
public sealed class ClipEncoder : nn.Module
{
    public readonly ModuleList<ClipEncoderLayer> layers;

    public ClipEncoder(int hidden, int heads, int intermediate, string act, double eps, int count) : base(nameof(ClipEncoder))
    {
        layers = new ModuleList<ClipEncoderLayer>(Enumerable.Range(0, count).Select(_ => new ClipEncoderLayer(hidden, heads, intermediate, act, eps)).ToArray());
        RegisterComponents();
    }

    /// <returns>[input, after layer 1, ..., after layer N] (N + 1 tensors, as transformers' hidden_states)</returns>
    public List<Tensor> forward(Tensor x, Tensor? causalMask, Tensor? paddingMask)
    {
        var states = new List<Tensor> { x };
        foreach (var layer in layers)
            states.Add(layer.forward(states[^1], causalMask, paddingMask));
        return states;
    }
}

/// <summary>Additive attention masks exactly as transformers v4.37 builds them (finfo.min, not -inf).</summary>
public static class AttentionMasks
{
    public static readonly float Min = float.MinValue;

    /// <summary>[B, 1, Lq, Lk]: 0 where key j &lt;= query i + past, finfo.min above the diagonal.</summary>
    public static Tensor Causal(long batch, long queryLength, long past)
    {
        var keyLength = queryLength + past;
        var q = torch.arange(queryLength, ScalarType.Int64).view(-1, 1) + past;
        var k = torch.arange(keyLength, ScalarType.Int64).view(1, -1);
        var allowed = k <= q; // [Lq, Lk]
        var mask = torch.zeros(queryLength, keyLength).masked_fill(allowed.logical_not(), Min);
        return mask.view(1, 1, queryLength, keyLength).expand(batch, 1, queryLength, keyLength);
    }

    /// <summary>[B, 1, Lq, Lk] from a [B, Lk] 1/0 key mask: 0 to attend, finfo.min for padding.</summary>
    public static Tensor Padding(Tensor keyMask, long queryLength)
    {
        var (b, lk) = (keyMask.shape[0], keyMask.shape[1]);
        var inverted = 1.0f - keyMask.to_type(ScalarType.Float32).view(b, 1, 1, lk).expand(b, 1, queryLength, lk);
        return inverted.masked_fill(inverted.to_type(ScalarType.Bool), Min);
    }
}
