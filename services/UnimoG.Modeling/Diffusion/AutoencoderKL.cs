using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Configs;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Diffusion;

/// <summary>The VAE posterior N(mean, exp(logvar)) per latent element; logvar clamped to [-30, 20] as in diffusers.</summary>
public sealed class DiagonalGaussian(Tensor mean, Tensor logvar) : IDisposable
{
    public Tensor Mean { get; } = mean;
    public Tensor LogVar { get; } = logvar;

    /// <summary>exp(0.5 * logvar).</summary>
    public Tensor Std() => (LogVar * 0.5).exp();

    /// <summary>mean + std * noise, the noise drawn from <paramref name="generator"/> (diffusers' <c>sample(generator)</c>).</summary>
    public Tensor Sample(Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        var noise = torch.randn(Mean.shape, dtype: Mean.dtype, device: Mean.device, generator: generator);
        return (Mean + Std() * noise).MoveToOuterDisposeScope();
    }

    /// <summary>The mode (= the mean).</summary>
    public Tensor Mode() => Mean.alias();

    public void Dispose()
    {
        Mean.Dispose();
        LogVar.Dispose();
    }
}

/// <summary>
/// diffusers' <c>AutoencoderKL</c>: <c>encoder</c> -> <c>quant_conv</c> -> (mean, logvar); latent ->
/// <c>post_quant_conv</c> -> <c>decoder</c>. Images are [B, 3, H, W] in [-1, 1]; latents [B, 4, H/f, W/f].
/// </summary>
public sealed class AutoencoderKL : nn.Module
{
    public readonly VaeEncoder encoder;
    public readonly VaeDecoder decoder;
    public readonly Conv2d? quant_conv;
    public readonly Conv2d? post_quant_conv;

    public AutoencoderKLConfig Config { get; }

    /// <summary>How much smaller a latent is than its image: 2^(levels - 1).</summary>
    public int DownscaleFactor => 1 << (Config.BlockOutChannels.Count - 1);

    public AutoencoderKL(AutoencoderKLConfig config, Device? device = null) : base(nameof(AutoencoderKL))
    {
        config.Validate();
        Config = config;
        encoder = new VaeEncoder(config, device);
        decoder = new VaeDecoder(config, device);
        var z = config.LatentChannels;
        if (config.UseQuantConv) quant_conv = Layers.Conv2d(2 * z, 2 * z, 1, device);
        if (config.UsePostQuantConv) post_quant_conv = Layers.Conv2d(z, z, 1, device);
        RegisterComponents();
    }

    public static long CountParameters(AutoencoderKLConfig config)
    {
        using var model = new AutoencoderKL(config, torch.META);
        return Layers.ParameterCount(model);
    }

    /// <summary>
    /// Loads a diffusers VAE from its <c>vae</c> folder or a pipeline folder holding <c>vae/</c>. Legacy attention
    /// names (<c>query</c>/<c>key</c>/<c>value</c>/<c>proj_attn</c>, also as 1x1-conv weights) are mapped.
    /// </summary>
    public static AutoencoderKL FromPretrained(string folder, string? variant = null, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var dir = Pretrained.ComponentFolder(folder, "vae");
        var model = new AutoencoderKL(AutoencoderKLConfig.FromFile(Path.Combine(dir, "config.json")), device);
        try
        {
            if (dtype != ScalarType.Float32) model.to(dtype);
            model.LoadStrict(TensorSource.ForComponent(dir, variant), LegacyNames);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Maps the attention names of old VAE checkpoints onto diffusers' current ones.</summary>
    public static readonly LoadOptions LegacyNames = new()
    {
        Rename = name => name
            .Replace(".attentions.0.query.", ".attentions.0.to_q.", StringComparison.Ordinal)
            .Replace(".attentions.0.key.", ".attentions.0.to_k.", StringComparison.Ordinal)
            .Replace(".attentions.0.value.", ".attentions.0.to_v.", StringComparison.Ordinal)
            .Replace(".attentions.0.proj_attn.", ".attentions.0.to_out.0.", StringComparison.Ordinal),
        SqueezeConv1x1 = true,
    };

    /// <param name="image">[B, in_channels, H, W], values in [-1, 1].</param>
    public DiagonalGaussian Encode(Tensor image, Action<string, Tensor>? trace = null)
    {
        using var scope = torch.NewDisposeScope();
        var h = encoder.forward(image);                                       // [B, 2z, H/f, W/f]
        trace?.Invoke("encoder", h);
        if (quant_conv is not null) h = quant_conv.call(h);
        trace?.Invoke("moments", h);
        var parts = h.chunk(2, 1);
        var mean = parts[0].contiguous().MoveToOuterDisposeScope();
        var logvar = parts[1].clamp(-30.0, 20.0).MoveToOuterDisposeScope();
        return new DiagonalGaussian(mean, logvar);
    }

    /// <param name="latent">[B, latent_channels, h, w] (unscaled: divide by scaling_factor first).</param>
    /// <returns>[B, out_channels, h*f, w*f].</returns>
    public Tensor Decode(Tensor latent, Action<string, Tensor>? trace = null)
    {
        using var scope = torch.NewDisposeScope();
        var z = post_quant_conv is null ? latent : post_quant_conv.call(latent);
        trace?.Invoke("post_quant_conv", z);
        return decoder.forward(z).MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers' VAE <c>Encoder</c>: conv_in, DownEncoderBlock2D levels, mid block with attention, norm, act, conv_out to 2z channels.</summary>
public sealed class VaeEncoder : nn.Module<Tensor, Tensor>
{
    public readonly Conv2d conv_in;
    public readonly ModuleList<DownEncoderBlock2D> down_blocks;
    public readonly UNetMidBlock2D mid_block;
    public readonly GroupNorm conv_norm_out;
    public readonly Conv2d conv_out;
    private readonly Func<Tensor, Tensor> _act;

    public VaeEncoder(AutoencoderKLConfig c, Device? device) : base("Encoder")
    {
        var ch = c.BlockOutChannels;
        conv_in = Layers.Conv2d(c.InChannels, ch[0], 3, device, padding: 1);
        down_blocks = new(Enumerable.Range(0, ch.Count).Select(i =>
            new DownEncoderBlock2D(i == 0 ? ch[0] : ch[i - 1], ch[i], c.LayersPerBlock, c.NormNumGroups, c.ActFn, i < ch.Count - 1, device)).ToArray());
        mid_block = new UNetMidBlock2D(ch[^1], c.NormNumGroups, c.ActFn, c.MidBlockAddAttention, device);
        conv_norm_out = Layers.GroupNorm(c.NormNumGroups, ch[^1], 1e-6, device);
        conv_out = Layers.Conv2d(ch[^1], 2 * c.LatentChannels, 3, device, padding: 1);
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

    public VaeDecoder(AutoencoderKLConfig c, Device? device) : base("Decoder")
    {
        var rev = c.BlockOutChannels.Reverse().ToList();
        conv_in = Layers.Conv2d(c.LatentChannels, rev[0], 3, device, padding: 1);
        mid_block = new UNetMidBlock2D(rev[0], c.NormNumGroups, c.ActFn, c.MidBlockAddAttention, device);
        up_blocks = new(Enumerable.Range(0, rev.Count).Select(i =>
            new UpDecoderBlock2D(i == 0 ? rev[0] : rev[i - 1], rev[i], c.LayersPerBlock + 1, c.NormNumGroups, c.ActFn, i < rev.Count - 1, device)).ToArray());
        conv_norm_out = Layers.GroupNorm(c.NormNumGroups, rev[^1], 1e-6, device);
        conv_out = Layers.Conv2d(rev[^1], c.OutChannels, 3, device, padding: 1);
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

    public DownEncoderBlock2D(int cin, int cout, int layers, int groups, string act, bool downsample, Device? device) : base(nameof(DownEncoderBlock2D))
    {
        resnets = new(Enumerable.Range(0, layers).Select(i => new ResnetBlock2D(i == 0 ? cin : cout, cout, null, groups, 1e-6, act, device)).ToArray());
        if (downsample) downsamplers = new(new Downsample2D(cout, 0, device));
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

    public UpDecoderBlock2D(int cin, int cout, int layers, int groups, string act, bool upsample, Device? device) : base(nameof(UpDecoderBlock2D))
    {
        resnets = new(Enumerable.Range(0, layers).Select(i => new ResnetBlock2D(i == 0 ? cin : cout, cout, null, groups, 1e-6, act, device)).ToArray());
        if (upsample) upsamplers = new(new Upsample2D(cout, device));
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

    public UNetMidBlock2D(int channels, int groups, string act, bool addAttention, Device? device) : base(nameof(UNetMidBlock2D))
    {
        if (addAttention)
            attentions = new(new Attention(channels, 1, channels, null, bias: true, upcast: true, device, normGroups: groups, eps: 1e-6, residual: true));
        resnets = new(Enumerable.Range(0, 2).Select(_ => new ResnetBlock2D(channels, channels, null, groups, 1e-6, act, device)).ToArray());
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
