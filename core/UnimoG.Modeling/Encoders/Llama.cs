using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>RMSNorm computed in float32, as transformers' <c>LlamaRMSNorm</c>: w * x / sqrt(mean(x^2) + eps).</summary>
public sealed class LlamaRmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly double _eps;
    public readonly Parameter weight;

    public LlamaRmsNorm(int hidden, double eps) : base(nameof(LlamaRmsNorm))
    {
        _eps = eps;
        weight = Layers.Parameter([hidden], 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = x.to_type(ScalarType.Float32);
        var variance = h.pow(2).mean([-1L], keepdim: true);
        h = h * torch.rsqrt(variance + _eps);
        return (weight * h.to_type(x.dtype)).MoveToOuterDisposeScope();
    }
}

/// <summary>Rotary position embeddings (no scaling): cos/sin of position * theta^(-2i/d), halves concatenated.</summary>
public static class LlamaRotary
{
    /// <param name="positionIds">[B or 1, L] int64</param>
    /// <returns>cos, sin: [B or 1, 1, L, Dh]</returns>
    public static (Tensor Cos, Tensor Sin) CosSin(Tensor positionIds, int headDim, double theta)
    {
        using var scope = torch.NewDisposeScope();
        var exponents = torch.arange(0, headDim, 2, ScalarType.Int64).to_type(ScalarType.Float32) / headDim;
        var invFreq = 1.0f / torch.full_like(exponents, theta).pow(exponents);                      // [Dh/2]
        var freqs = positionIds.to_type(ScalarType.Float32).unsqueeze(-1) * invFreq;                 // [B, L, Dh/2]
        var emb = torch.cat([freqs, freqs], -1).unsqueeze(1);                                        // [B, 1, L, Dh]
        return (emb.cos().MoveToOuterDisposeScope(), emb.sin().MoveToOuterDisposeScope());
    }

    public static Tensor RotateHalf(Tensor x)
    {
        var half = x.shape[^1] / 2;
        using var x1 = x[.., .., .., ..(int)half];
        using var x2 = x[.., .., .., (int)half..];
        using var neg = -x2;
        return torch.cat([neg, x1], -1);
    }

    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var a = x * cos;
        using var r = RotateHalf(x);
        using var b = r * sin;
        return a + b;
    }
}

/// <summary>Per-layer keys and values [B, Hkv, T, Dh] of the tokens seen so far (after rotary, before repeat).</summary>
public sealed class LlamaKvCache : IDisposable
{
    private readonly Tensor?[] _keys, _values;

    public LlamaKvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    public long Length => _keys[0]?.shape[2] ?? 0;

    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var keys = _keys[layer] is { } pk ? torch.cat([pk, k], 2) : k.alias();
        var values = _values[layer] is { } pv ? torch.cat([pv, v], 2) : v.alias();
        _keys[layer]?.Dispose();
        _values[layer]?.Dispose();
        _keys[layer] = keys.DetachFromDisposeScope();
        _values[layer] = values.DetachFromDisposeScope();
        return (keys, values);
    }

    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values)) t?.Dispose();
    }
}

/// <summary>Grouped-query attention, eager as transformers v4.37: softmax in float32 over an additive finfo.min mask.</summary>
public sealed class LlamaAttention : nn.Module
{
    private readonly LlamaConfig _c;
    private readonly int _layer;
    public readonly Linear q_proj, k_proj, v_proj, o_proj;

    public LlamaAttention(LlamaConfig c, int layer) : base(nameof(LlamaAttention))
    {
        _c = c;
        _layer = layer;
        q_proj = Layers.Linear(c.HiddenSize, c.NumAttentionHeads * c.HeadDim, c.AttentionBias);
        k_proj = Layers.Linear(c.HiddenSize, c.NumKeyValueHeads * c.HeadDim, c.AttentionBias);
        v_proj = Layers.Linear(c.HiddenSize, c.NumKeyValueHeads * c.HeadDim, c.AttentionBias);
        o_proj = Layers.Linear(c.NumAttentionHeads * c.HeadDim, c.HiddenSize, c.AttentionBias);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, LlamaKvCache? cache)
    {
        using var scope = torch.NewDisposeScope();
        var (b, l) = (x.shape[0], x.shape[1]);
        var (h, hkv, dh) = (_c.NumAttentionHeads, _c.NumKeyValueHeads, _c.HeadDim);
        var q = q_proj.forward(x).view(b, l, h, dh).transpose(1, 2);     // [B, H, L, Dh]
        var k = k_proj.forward(x).view(b, l, hkv, dh).transpose(1, 2);   // [B, Hkv, L, Dh]
        var v = v_proj.forward(x).view(b, l, hkv, dh).transpose(1, 2);
        q = LlamaRotary.Apply(q, cos, sin);
        k = LlamaRotary.Apply(k, cos, sin);
        if (cache is not null) (k, v) = cache.Append(_layer, k, v);     // [B, Hkv, T, Dh]
        if (h != hkv)
        {
            k = k.repeat_interleave(h / hkv, 1);                          // [B, H, T, Dh]: head i reads kv head i / groups
            v = v.repeat_interleave(h / hkv, 1);
        }
        var w = torch.matmul(q, k.transpose(2, 3)) / Math.Sqrt(dh);     // [B, H, L, T]
        if (mask is not null) w = w + mask;
        w = torch.softmax(w, -1, ScalarType.Float32).to_type(q.dtype);
        var o = torch.matmul(w, v).transpose(1, 2).reshape(b, l, h * dh); // [B, L, D]
        return o_proj.forward(o).MoveToOuterDisposeScope();
    }
}

/// <summary>SwiGLU: down(act(gate(x)) * up(x)).</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    private readonly Func<Tensor, Tensor> _act;
    public readonly Linear gate_proj, up_proj, down_proj;

    public LlamaMlp(LlamaConfig c) : base(nameof(LlamaMlp))
    {
        _act = Activations.Get(c.HiddenAct);
        gate_proj = Layers.Linear(c.HiddenSize, c.IntermediateSize, bias: false);
        up_proj = Layers.Linear(c.HiddenSize, c.IntermediateSize, bias: false);
        down_proj = Layers.Linear(c.IntermediateSize, c.HiddenSize, bias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return down_proj.forward(_act(gate_proj.forward(x)) * up_proj.forward(x)).MoveToOuterDisposeScope();
    }
}

public sealed class LlamaDecoderLayer : nn.Module
{
    public readonly LlamaAttention self_attn;
    public readonly LlamaMlp mlp;
    public readonly LlamaRmsNorm input_layernorm, post_attention_layernorm;

    public LlamaDecoderLayer(LlamaConfig c, int index) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new LlamaAttention(c, index);
        mlp = new LlamaMlp(c);
        input_layernorm = new LlamaRmsNorm(c.HiddenSize, c.RmsNormEps);
        post_attention_layernorm = new LlamaRmsNorm(c.HiddenSize, c.RmsNormEps);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, LlamaKvCache? cache)
    {
        using var scope = torch.NewDisposeScope();
        var h = x + self_attn.forward(input_layernorm.forward(x), cos, sin, mask, cache);
        h = h + mlp.forward(post_attention_layernorm.forward(h));
        return h.MoveToOuterDisposeScope();
    }
}
