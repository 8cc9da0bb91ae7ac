using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Diffusion;

/// <summary>GEGLU: proj to twice the width, value * gelu(gate) (exact erf GELU).</summary>
public sealed class GEGLU : nn.Module<Tensor, Tensor>
{
    public readonly Linear proj;

    public GEGLU(int dimIn, int dimOut) : base(nameof(GEGLU))
    {
        proj = Layers.Linear(dimIn, dimOut * 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var parts = proj.call(x).chunk(2, -1);                     // 2 x [B, N, inner]
        return parts[0] * nn.functional.gelu(parts[1]);
    }
}

/// <summary>diffusers' <c>FeedForward</c> with GEGLU: <c>net.0</c> GEGLU(dim -> 4 dim), <c>net.1</c> dropout, <c>net.2</c> linear back.</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    public readonly ModuleList<nn.Module<Tensor, Tensor>> net;

    public FeedForward(int dim) : base(nameof(FeedForward))
    {
        var inner = dim * 4;
        net = new ModuleList<nn.Module<Tensor, Tensor>>(new GEGLU(dim, inner), nn.Dropout(0.0), Layers.Linear(inner, dim));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var layer in net) x = layer.call(x);
        return x;
    }
}

/// <summary>
/// diffusers' <c>BasicTransformerBlock</c> (layer_norm variant): self-attention, cross-attention to the
/// encoder states, GEGLU feed-forward, each pre-normalised (LayerNorm eps 1e-5) and residual.
/// With only_cross_attention, attn1 also attends to the encoder states (unmasked, as in diffusers).
/// </summary>
public sealed class BasicTransformerBlock : nn.Module
{
    public readonly LayerNorm norm1;
    public readonly Attention attn1;
    public readonly LayerNorm norm2;
    public readonly Attention attn2;
    public readonly LayerNorm norm3;
    public readonly FeedForward ff;

    private readonly bool _onlyCross;

    public BasicTransformerBlock(int dim, int heads, int headDim, int crossAttentionDim, bool onlyCrossAttention, bool upcastAttention)
        : base(nameof(BasicTransformerBlock))
    {
        _onlyCross = onlyCrossAttention;
        norm1 = Layers.LayerNorm(dim, 1e-5);
        attn1 = new Attention(dim, heads, headDim, onlyCrossAttention ? crossAttentionDim : null, bias: false, upcastAttention);
        norm2 = Layers.LayerNorm(dim, 1e-5);
        attn2 = new Attention(dim, heads, headDim, crossAttentionDim, bias: false, upcastAttention);
        norm3 = Layers.LayerNorm(dim, 1e-5);
        ff = new FeedForward(dim);
        RegisterComponents();
    }

    /// <param name="x">[B, HW, C]</param>
    /// <param name="context">[B, L, D] encoder hidden states.</param>
    /// <param name="bias">[B, 1, L] additive mask bias for the cross-attention, or null.</param>
    public Tensor forward(Tensor x, Tensor context, Tensor? bias, (int H, int W) grid)
    {
        using var scope = torch.NewDisposeScope();
        x = Layers.Add(attn1.forward(norm1.call(x), _onlyCross ? context : null, null, grid), x);
        x = Layers.Add(attn2.forward(norm2.call(x), context, bias, grid), x);
        x = Layers.Add(ff.call(norm3.call(x)), x);
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// diffusers' <c>Transformer2DModel</c> for continuous input: GroupNorm (eps 1e-6), <c>proj_in</c> (1x1 conv,
/// or linear with use_linear_projection), transformer blocks over the H*W tokens, <c>proj_out</c>, residual.
/// </summary>
public sealed class Transformer2DModel : nn.Module
{
    public readonly GroupNorm norm;
    public readonly nn.Module<Tensor, Tensor> proj_in;
    public readonly ModuleList<BasicTransformerBlock> transformer_blocks;
    public readonly nn.Module<Tensor, Tensor> proj_out;

    private readonly bool _linear;
    private readonly int _inner;

    public Transformer2DModel(int channels, int heads, int headDim, int layers, int crossAttentionDim, int normGroups,
        bool useLinearProjection, bool onlyCrossAttention, bool upcastAttention) : base(nameof(Transformer2DModel))
    {
        _linear = useLinearProjection;
        _inner = heads * headDim;
        norm = Layers.GroupNorm(normGroups, channels, 1e-6);
        proj_in = _linear ? Layers.Linear(channels, _inner) : Layers.Conv2d(channels, _inner, 1);
        transformer_blocks = new ModuleList<BasicTransformerBlock>(Enumerable.Range(0, layers)
            .Select(_ => new BasicTransformerBlock(_inner, heads, headDim, crossAttentionDim, onlyCrossAttention, upcastAttention)).ToArray());
        proj_out = _linear ? Layers.Linear(_inner, channels) : Layers.Conv2d(_inner, channels, 1);
        RegisterComponents();
    }

    /// <param name="x">[B, C, H, W]</param>
    public Tensor forward(Tensor x, Tensor context, Tensor? bias)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], h = x.shape[2], w = x.shape[3];
        var residual = x;
        var t = norm.call(x);
        if (_linear) t = proj_in.call(t.permute(0, 2, 3, 1).reshape(b, h * w, -1));   // [B, HW, inner]
        else t = proj_in.call(t).permute(0, 2, 3, 1).reshape(b, h * w, _inner);      // [B, HW, inner]
        foreach (var block in transformer_blocks) t = block.forward(t, context, bias, ((int)h, (int)w));
        if (_linear) t = proj_out.call(t).reshape(b, h, w, -1).permute(0, 3, 1, 2).contiguous();   // [B, C, H, W]
        else t = proj_out.call(t.reshape(b, h, w, _inner).permute(0, 3, 1, 2).contiguous());      // [B, C, H, W]
        return Layers.Add(t, residual).MoveToOuterDisposeScope();
    }
}
