using TorchSharp;
using static TorchSharp.torch;

namespace UnimoG.Mini.Vae;

/// <summary>
/// The VAE's objective without pretrained perceptual networks (none exist here): L1 reconstruction, a small KL
/// term towards N(0, 1), and L1 between the images' horizontal and vertical differences, which keeps flat-colour
/// emoji edges sharp where L1 alone blurs them.
/// </summary>
public static class VaeLosses
{
    /// <summary>KL(N(mean, exp(logvar)) || N(0, 1)) per latent element, averaged: 0.5 * (mean^2 + var - 1 - logvar).</summary>
    public static Tensor Kl(Tensor mean, Tensor logvar)
    {
        using var scope = torch.NewDisposeScope();
        return (0.5f * (mean.pow(2) + logvar.exp() - 1f - logvar)).mean().MoveToOuterDisposeScope();
    }

    /// <summary>Mean |d(x) - d(y)| over horizontal and vertical neighbour differences of [B, C, H, W] images.</summary>
    public static Tensor Gradient(Tensor x, Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        Tensor Dx(Tensor t) => t[.., .., .., 1..] - t[.., .., .., ..^1];
        Tensor Dy(Tensor t) => t[.., .., 1.., ..] - t[.., .., ..^1, ..];
        var loss = (Dx(x) - Dx(y)).abs().mean() + (Dy(x) - Dy(y)).abs().mean();
        return (loss * 0.5f).MoveToOuterDisposeScope();
    }

    /// <summary>Peak signal-to-noise ratio per image of uint8 images [B, 3, H, W]: 10 log10(255^2 / MSE).</summary>
    public static double[] Psnr(Tensor a, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        var mse = (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).pow(2).flatten(1).mean([1L]);
        var values = mse.data<double>().ToArray();
        return values.Select(m => m == 0 ? 100.0 : 10 * Math.Log10(255.0 * 255.0 / m)).ToArray();
    }
}
