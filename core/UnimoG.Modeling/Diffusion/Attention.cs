using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Diffusion;

/// <summary>
/// diffusers' <c>Attention</c> as the SD U-Net and VAE use it: multi-head attention with
/// <c>to_q</c>/<c>to_k</c>/<c>to_v</c>/<c>to_out.0</c>, scale 1/sqrt(head size), an optional additive key
/// bias (the encoder attention mask), and for the VAE's mid block a group norm, 4-D input and a residual.
/// Computed with scaled-dot-product attention, or explicitly (softmax(QK^T/sqrt(d) + bias)) when the
/// probabilities are captured or a half-precision model upcasts them.
/// </summary>
public sealed class Attention : nn.Module
{
    public readonly GroupNorm? group_norm;
    public readonly Linear to_q;
    public readonly Linear to_k;
    public readonly Linear to_v;
    public readonly ModuleList<nn.Module<Tensor, Tensor>> to_out;

    private readonly int _heads;
    private readonly int _headDim;
    private readonly bool _upcast;
    private readonly bool _residual;
    private readonly Scalar _scale;

    /// <summary>The module path in its model (e.g. <c>down_blocks.0.attentions.0.transformer_blocks.0.attn2</c>).</summary>
    public string LayerName { get; internal set; } = "";
    public int Heads => _heads;
    public int HeadDim => _headDim;
    /// <summary>Whether keys and values come from the encoder's hidden states.</summary>
    public bool IsCrossAttention { get; }

    internal AttentionCapture? Capture { get; set; }

    /// <param name="crossAttentionDim">Width of the encoder hidden states; null for self-attention.</param>
    /// <param name="upcast">Compute scores and softmax in float32 (diffusers' upcast_attention / upcast_softmax).</param>
    /// <param name="normGroups">Group-normalise a 4-D input first (VAE mid block), with <paramref name="eps"/>.</param>
    public Attention(int queryDim, int heads, int headDim, int? crossAttentionDim, bool bias, bool upcast,
        int? normGroups = null, double eps = 1e-6, bool residual = false) : base(nameof(Attention))
    {
        _heads = heads;
        _headDim = headDim;
        _upcast = upcast;
        _residual = residual;
        IsCrossAttention = crossAttentionDim is not null;
        _scale = (1.0 / Math.Sqrt(headDim)).ToScalar();
        var inner = heads * headDim;
        var kvDim = crossAttentionDim ?? queryDim;
        if (normGroups is { } g) group_norm = Layers.GroupNorm(g, queryDim, eps);
        to_q = Layers.Linear(queryDim, inner, bias);
        to_k = Layers.Linear(kvDim, inner, bias);
        to_v = Layers.Linear(kvDim, inner, bias);
        to_out = new ModuleList<nn.Module<Tensor, Tensor>>(Layers.Linear(inner, queryDim), nn.Dropout(0.0));
        RegisterComponents();
    }

    /// <param name="x">[B, N, C] tokens, or [B, C, H, W] (then attended over H*W and returned in that shape).</param>
    /// <param name="context">[B, L, D] keys/values source; null attends to <paramref name="x"/> itself.</param>
    /// <param name="bias">Additive key bias [B, 1, L] (0 keep, -10000 masked) or null.</param>
    /// <param name="grid">The spatial (H, W) of the N query tokens, recorded with captured probabilities.</param>
    public Tensor forward(Tensor x, Tensor? context = null, Tensor? bias = null, (int H, int W)? grid = null)
    {
        using var scope = torch.NewDisposeScope();
        var residual = x;
        var spatial = x.dim() == 4;
        long b = x.shape[0], c = x.shape[1], h = spatial ? x.shape[2] : 0, w = spatial ? x.shape[3] : 0;
        if (spatial)
        {
            x = x.reshape(b, c, h * w);                             // [B, C, HW]
            if (group_norm is not null) x = group_norm.call(x);
            x = x.transpose(1, 2);                                  // [B, HW, C]
            grid ??= ((int)h, (int)w);
        }
        var kv = context ?? x;
        var n = x.shape[1];
        var q = Heads4(to_q.call(x), b);                            // [B, heads, N, d]
        var k = Heads4(to_k.call(kv), b);                           // [B, heads, L, d]
        var v = Heads4(to_v.call(kv), b);                           // [B, heads, L, d]
        var mask = bias?.unsqueeze(1);                              // [B, 1, 1, L]

        Tensor o;
        var capture = Capture;
        var upcast = _upcast && q.dtype != ScalarType.Float32;
        if (capture is null && !upcast)
        {
            o = nn.functional.scaled_dot_product_attention(q, k, v, mask?.to_type(q.dtype));
        }
        else
        {
            var probs = Probabilities(q, k, mask, upcast);          // [B, heads, N, L]
            capture?.Record(LayerName, probs, grid);
            o = torch.matmul(probs, v);                             // [B, heads, N, d]
        }
        o = o.transpose(1, 2).reshape(b, n, _heads * _headDim);     // [B, N, heads*d]
        o = to_out[0].call(o);
        o = to_out[1].call(o);
        if (spatial) o = o.transpose(1, 2).reshape(b, c, h, w);     // [B, C, H, W]
        if (_residual) o = Layers.Add(o, residual);
        return o.MoveToOuterDisposeScope();
    }

    /// <summary>softmax(QK^T / sqrt(d) + bias) over the keys, as diffusers' <c>get_attention_scores</c>.</summary>
    private Tensor Probabilities(Tensor q, Tensor k, Tensor? mask, bool upcast)
    {
        var dtype = q.dtype;
        if (upcast)
        {
            q = q.to_type(ScalarType.Float32);
            k = k.to_type(ScalarType.Float32);
        }
        var scores = torch.matmul(q, k.transpose(-1, -2)).mul(_scale);
        if (mask is not null) scores = Layers.Add(scores, mask.to_type(scores.dtype));
        return scores.softmax(-1).to_type(dtype);
    }

    private Tensor Heads4(Tensor t, long b) => t.view(b, -1, _heads, _headDim).transpose(1, 2);
}
