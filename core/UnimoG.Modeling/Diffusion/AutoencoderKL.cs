using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Configs;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Diffusion;

/// <summary>The VAE posterior N(mean, exp(logvar)) per latent element; logvar clamped to [-30, 20] as in diffusers.</summary>
public sealed class DiagonalGaussian(Tensor mean, Tensor logvar) : IDisposable
{
    public Tensor Mean { get; } = mean;
    public Tensor LogVar { get; } = logvar;

    /// <summary>exp(0.5 * logvar).</summary>
    public Tensor Std() => (LogVar * 0.5).exp();

    /// <summary>
    /// mean + std * noise, the noise drawn from <paramref name="generator"/> (diffusers' <c>sample(generator)</c>) on the
    /// generator's device, then moved to the mean's (a CPU generator gives the same numbers for a CUDA model).
    /// </summary>
    public Tensor Sample(Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        var noise = torch.randn(Mean.shape, dtype: Mean.dtype, device: generator.device, generator: generator).to(Mean.device);
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

    public AutoencoderKL(AutoencoderKLConfig config) : base(nameof(AutoencoderKL))
    {
        config.Validate(new ConfigLocation("vae config"));
        Config = config;
        encoder = new VaeEncoder(config);
        decoder = new VaeDecoder(config);
        var z = config.LatentChannels;
        if (config.UseQuantConv) quant_conv = Layers.Conv2d(2 * z, 2 * z, 1);
        if (config.UsePostQuantConv) post_quant_conv = Layers.Conv2d(z, z, 1);
        RegisterComponents();
    }

    public static long CountParameters(AutoencoderKLConfig config) => Pretrained.CountParameters(() => new AutoencoderKL(config));

    /// <summary>
    /// Loads a diffusers VAE from its <c>vae</c> folder or a pipeline folder holding <c>vae/</c>. Legacy attention
    /// names (<c>query</c>/<c>key</c>/<c>value</c>/<c>proj_attn</c>, also as 1x1-conv weights) are mapped.
    /// </summary>
    public static AutoencoderKL FromPretrained(string folder, string? variant = null, ModelPlacement? at = null)
    {
        var dir = Pretrained.ComponentFolder(folder, "vae");
        var config = ConfigJson.Read<AutoencoderKLConfig>(Path.Combine(dir, "config.json"));
        return Pretrained.Load(() => new AutoencoderKL(config), TensorSource.ForComponent(dir, variant), LegacyNames, at);
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
        var h = encoder.forward(image.to_type(ComputeType));                 // [B, 2z, H/f, W/f]
        trace?.Invoke("encoder", h);
        if (quant_conv is not null) h = quant_conv.call(h);
        trace?.Invoke("moments", h);
        var parts = h.chunk(2, 1);
        // The posterior leaves in float32, whatever the weights: latents are scaled, sampled and trained in float32.
        var mean = parts[0].to_type(ScalarType.Float32).contiguous().MoveToOuterDisposeScope();
        var logvar = parts[1].to_type(ScalarType.Float32).clamp(-30.0, 20.0).MoveToOuterDisposeScope();
        return new DiagonalGaussian(mean, logvar);
    }

    /// <summary>The weights' dtype, in which the VAE computes (inputs are cast to it).</summary>
    public ScalarType ComputeType => decoder.conv_in.weight!.dtype;

    /// <param name="latent">[B, latent_channels, h, w] (unscaled: divide by scaling_factor first).</param>
    /// <returns>[B, out_channels, h*f, w*f] in <see cref="ComputeType"/>.</returns>
    public Tensor Decode(Tensor latent, Action<string, Tensor>? trace = null)
    {
        using var scope = torch.NewDisposeScope();
        latent = latent.to_type(ComputeType);
        var z = post_quant_conv is null ? latent : post_quant_conv.call(latent);
        trace?.Invoke("post_quant_conv", z);
        return decoder.forward(z).MoveToOuterDisposeScope();
    }
}
