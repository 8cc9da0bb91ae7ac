using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Diffusion;

/// <summary>
/// diffusers' <c>ResnetBlock2D</c>: norm1 -> act -> conv1 (+ projected time embedding) -> norm2 -> act ->
/// dropout -> conv2, plus a 1x1 <c>conv_shortcut</c> when the width changes, divided by the output scale.
/// "scale_shift" applies the time embedding as (1 + scale, shift) after norm2 instead of adding it.
/// </summary>
public sealed class ResnetBlock2D : nn.Module
{
    public readonly GroupNorm norm1;
    public readonly Conv2d conv1;
    public readonly Linear? time_emb_proj;
    public readonly GroupNorm norm2;
    public readonly Dropout dropout;
    public readonly Conv2d conv2;
    public readonly Conv2d? conv_shortcut;

    private readonly Func<Tensor, Tensor> _act;
    private readonly bool _scaleShift;
    private readonly Scalar? _outputScale;   // null when 1 (division by 1 is exact)

    /// <param name="tembChannels">Width of the time embedding; null for blocks without one (VAE).</param>
    public ResnetBlock2D(int inChannels, int outChannels, int? tembChannels, int groups, double eps, string act,
        string timeEmbeddingNorm = "default", double outputScaleFactor = 1.0, double dropoutP = 0.0) : base(nameof(ResnetBlock2D))
    {
        _act = Layers.Activation(act);
        _scaleShift = timeEmbeddingNorm == "scale_shift";
        _outputScale = outputScaleFactor == 1.0 ? null : outputScaleFactor.ToScalar();
        norm1 = Layers.GroupNorm(groups, inChannels, eps);
        conv1 = Layers.Conv2d(inChannels, outChannels, 3, padding: 1);
        if (tembChannels is { } t) time_emb_proj = Layers.Linear(t, _scaleShift ? 2 * outChannels : outChannels);
        norm2 = Layers.GroupNorm(groups, outChannels, eps);
        dropout = nn.Dropout(dropoutP);
        conv2 = Layers.Conv2d(outChannels, outChannels, 3, padding: 1);
        if (inChannels != outChannels) conv_shortcut = Layers.Conv2d(inChannels, outChannels, 1);
        RegisterComponents();
    }

    /// <param name="x">[B, Cin, H, W]</param>
    /// <param name="temb">[B, T] time embedding, or null.</param>
    public Tensor forward(Tensor x, Tensor? temb)
    {
        using var scope = torch.NewDisposeScope();
        var h = conv1.call(_act(norm1.call(x)));                   // [B, Cout, H, W]
        Tensor? t = null;
        if (time_emb_proj is not null && temb is not null)
            t = time_emb_proj.call(_act(temb)).unsqueeze(-1).unsqueeze(-1);   // [B, Cout or 2 Cout, 1, 1]
        if (_scaleShift && t is not null)
        {
            var ss = t.chunk(2, 1);
            h = Layers.Add(norm2.call(h) * ss[0].add(Layers.One, Layers.One), ss[1]);
        }
        else
        {
            if (t is not null) h = Layers.Add(h, t);
            h = norm2.call(h);
        }
        h = conv2.call(dropout.call(_act(h)));
        var skip = conv_shortcut is null ? x : conv_shortcut.call(x);
        var y = Layers.Add(skip, h);
        if (_outputScale is not null) y = y.div(_outputScale);
        return y.MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers' <c>Downsample2D</c> with a conv: stride-2 3x3; padding 0 pads right/bottom by one first.</summary>
public sealed class Downsample2D : nn.Module<Tensor, Tensor>
{
    public readonly Conv2d conv;
    private readonly bool _asymmetric;

    public Downsample2D(int channels, int padding) : base(nameof(Downsample2D))
    {
        _asymmetric = padding == 0;
        conv = Layers.Conv2d(channels, channels, 3, stride: 2, padding: padding);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (!_asymmetric) return conv.call(x);
        using var padded = nn.functional.pad(x, [0, 1, 0, 1]);
        return conv.call(padded);
    }
}

/// <summary>diffusers' <c>Upsample2D</c> with a conv: nearest x2 (or to a given size), then a 3x3 conv.</summary>
public sealed class Upsample2D : nn.Module
{
    public readonly Conv2d conv;

    public Upsample2D(int channels) : base(nameof(Upsample2D))
    {
        conv = Layers.Conv2d(channels, channels, 3, padding: 1);
        RegisterComponents();
    }

    /// <param name="size">Output (H, W) when the input size was odd somewhere below; null doubles.</param>
    public Tensor forward(Tensor x, long[]? size = null)
    {
        using var up = size is null
            ? nn.functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest)
            : nn.functional.interpolate(x, size: size, mode: InterpolationMode.Nearest);
        return conv.call(up);
    }
}
