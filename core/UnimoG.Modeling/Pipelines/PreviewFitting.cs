using UnimoG.Modeling.Diffusion;
using UnimoG.Modeling.Sampling;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Pipelines;

/// <summary>
/// Fits a model's linear preview factors from sample images: each image goes through the VAE encoder
/// (posterior mean, times scaling_factor: the diffusion space the sampler's x0 lives in), the image is averaged
/// down to the latent grid, and least squares maps latent pixels to RGB (<see cref="LatentPreviewFactors.Fit"/>).
/// </summary>
public static class PreviewFitting
{
    /// <param name="images">[N, 3, H, W] in [-1, 1], H and W multiples of the VAE's factor.</param>
    public static (LatentPreviewFactors Factors, double Rmse) FitFromVae(AutoencoderKL vae, Tensor images, string source, int batch = 16)
    {
        var factor = vae.DownscaleFactor;
        if (images.shape[2] % factor != 0 || images.shape[3] % factor != 0)
            throw new ArgumentException($"sample images must be multiples of {factor} pixels on each side, got {images.shape[2]}x{images.shape[3]}");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var latents = new List<Tensor>();
        for (long i = 0; i < images.shape[0]; i += batch)
        {
            using var rows = images.narrow(0, i, Math.Min(batch, images.shape[0] - i));
            using var posterior = vae.Encode(rows);
            latents.Add(posterior.Mean * vae.Config.ScalingFactor);                                      // [b, C, h, w]
        }
        var targets = LatentPreviewFactors.AreaDownsample(images, factor);                              // [N, 3, h, w]
        return LatentPreviewFactors.Fit(cat(latents, 0), targets, source);
    }
}
