using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Modeling.Configs;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Diffusion;

/// <summary>diffusers' VAE <c>Encoder</c>: conv_in, DownEncoderBlock2D levels, mid block with attention, norm, act, conv_out to 2z channels.</summary>
public sealed class VaeEncoder : nn.Module<Tensor, Tensor>
{
    public readonly Conv2d conv_in;
    public readonly ModuleList<DownEncoderBlock2D> down_blocks;
    public readonly UNetMidBlock2D mid_block;
    public readonly GroupNorm conv_norm_out;
    public readonly Conv2d conv_out;
    private readonly Func<Tensor, Tensor> _act;

    public VaeEncoder(AutoencoderKLConfig c) : base("Encoder")
    {
        var ch = c.BlockOutChannels;
        conv_in = Layers.Conv2d(c.InChannels, ch[0], 3, padding: 1);
        down_blocks = new(Enumerable.Range(0, ch.Count).Select(i =>
            new DownEncoderBlock2D(i == 0 ? ch[0] : ch[i - 1], ch[i], c.LayersPerBlock, c.NormNumGroups, c.ActFn, i < ch.Count - 1)).ToArray());
        mid_block = new UNetMidBlock2D(ch[^1], c.NormNumGroups, c.ActFn, c.MidBlockAddAttention);
        conv_norm_out = Layers.GroupNorm(c.NormNumGroups, ch[^1], 1e-6);
        conv_out = Layers.Conv2d(ch[^1], 2 * c.LatentChannels, 3, padding: 1);
        _act = Layers.Activation("silu");   // diffusers' conv_act is SiLU whatever act_fn says
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = conv_in.call(x);
        foreach (var block in down_blocks) x = block.call(x);
        x = mid_block.call(x);
        return conv_out.call(_act(conv_norm_out.call(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers' VAE <c>Decoder</c>: conv_in, mid block with attention, UpDecoderBlock2D levels (layers + 1 resnets), norm, act, conv_out.</summary>
public sealed class VaeDecoder : nn.Module<Tensor, Tensor>
{
    public readonly Conv2d conv_in;
    public readonly UNetMidBlock2D mid_block;
    public readonly ModuleList<UpDecoderBlock2D> up_blocks;
    public readonly GroupNorm conv_norm_out;
    public readonly Conv2d conv_out;
    private readonly Func<Tensor, Tensor> _act;

    public VaeDecoder(AutoencoderKLConfig c) : base("Decoder")
    {
        var rev = c.BlockOutChannels.Reverse().ToList();
        conv_in = Layers.Conv2d(c.LatentChannels, rev[0], 3, padding: 1);
        mid_block = new UNetMidBlock2D(rev[0], c.NormNumGroups, c.ActFn, c.MidBlockAddAttention);
        up_blocks = new(Enumerable.Range(0, rev.Count).Select(i =>
            new UpDecoderBlock2D(i == 0 ? rev[0] : rev[i - 1], rev[i], c.LayersPerBlock + 1, c.NormNumGroups, c.ActFn, i < rev.Count - 1)).ToArray());
        conv_norm_out = Layers.GroupNorm(c.NormNumGroups, rev[^1], 1e-6);
        conv_out = Layers.Conv2d(rev[^1], c.OutChannels, 3, padding: 1);
        _act = Layers.Activation("silu");   // diffusers' conv_act is SiLU whatever act_fn says
        RegisterComponents();
    }

    public override Tensor forward(Tensor z)
    {
        using var scope = torch.NewDisposeScope();
        var x = mid_block.call(conv_in.call(z));
        foreach (var block in up_blocks) x = block.call(x);
        return conv_out.call(_act(conv_norm_out.call(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers' <c>DownEncoderBlock2D</c>: resnets without time embedding, then a stride-2 conv after right/bottom padding.</summary>
public sealed class DownEncoderBlock2D : nn.Module<Tensor, Tensor>
{
    public readonly ModuleList<ResnetBlock2D> resnets;
    public readonly ModuleList<Downsample2D>? downsamplers;

    public DownEncoderBlock2D(int cin, int cout, int layers, int groups, string act, bool downsample) : base(nameof(DownEncoderBlock2D))
    {
        resnets = new(Enumerable.Range(0, layers).Select(i => new ResnetBlock2D(i == 0 ? cin : cout, cout, null, groups, 1e-6, act)).ToArray());
        if (downsample) downsamplers = new(new Downsample2D(cout, 0));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var r in resnets) x = r.forward(x, null);
        if (downsamplers is not null) x = downsamplers[0].call(x);
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers' <c>UpDecoderBlock2D</c>: resnets without time embedding, then nearest x2 + conv.</summary>
public sealed class UpDecoderBlock2D : nn.Module<Tensor, Tensor>
{
    public readonly ModuleList<ResnetBlock2D> resnets;
    public readonly ModuleList<Upsample2D>? upsamplers;

    public UpDecoderBlock2D(int cin, int cout, int layers, int groups, string act, bool upsample) : base(nameof(UpDecoderBlock2D))
    {
        resnets = new(Enumerable.Range(0, layers).Select(i => new ResnetBlock2D(i == 0 ? cin : cout, cout, null, groups, 1e-6, act)).ToArray());
        if (upsample) upsamplers = new(new Upsample2D(cout));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var r in resnets) x = r.forward(x, null);
        if (upsamplers is not null) x = upsamplers[0].forward(x);
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers' <c>UNetMidBlock2D</c> as the VAE uses it: resnet, single-head spatial self-attention (group norm, residual), resnet.</summary>
public sealed class UNetMidBlock2D : nn.Module<Tensor, Tensor>
{
    public readonly ModuleList<Attention>? attentions;
    public readonly ModuleList<ResnetBlock2D> resnets;

    public UNetMidBlock2D(int channels, int groups, string act, bool addAttention) : base(nameof(UNetMidBlock2D))
    {
        if (addAttention)
            attentions = new(new Attention(channels, 1, channels, null, bias: true, upcast: true, normGroups: groups, eps: 1e-6, residual: true));
        resnets = new(Enumerable.Range(0, 2).Select(_ => new ResnetBlock2D(channels, channels, null, groups, 1e-6, act)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = resnets[0].forward(x, null);
        if (attentions is not null) x = attentions[0].forward(x);
        return resnets[1].forward(x, null).MoveToOuterDisposeScope();
    }
}
