using UnimoG.Modeling.Sampling;
using UnimoG.Data.Previews;
using UnimoG.Modeling.Diffusion;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Pipelines;

/// <summary>
/// The one fit of a model's linear preview factors (<c>preview.json</c>): least squares with a bias, mapping each
/// latent pixel (diffusion space: VAE posterior mean times scaling_factor, what the sampler's x0 lives in) to the
/// image averaged over the pixels it covers. Solved in float64 through the normal equations
/// [z 1]^T [z 1] W = [z 1]^T rgb; the factors keep float64.
/// </summary>
public static class PreviewFitting
{
    /// <param name="latents">[N, C, h, w] diffusion-space latents.</param>
    /// <param name="images">[N, 3, h * f, w * f] in [-1, 1] (f = 1 when already at latent resolution).</param>
    public static PreviewFile Fit(Tensor latents, Tensor images, string source)
    {
        if (latents.dim() != 4 || images.dim() != 4 || images.shape[1] != 3 || latents.shape[0] != images.shape[0]
            || images.shape[2] % latents.shape[2] != 0 || images.shape[2] / latents.shape[2] != images.shape[3] / latents.shape[3]
            || images.shape[3] % latents.shape[3] != 0)
            throw new ArgumentException($"fit: latents [N, C, h, w] and images [N, 3, h*f, w*f] must agree, got [{string.Join(", ", latents.shape)}] and [{string.Join(", ", images.shape)}]");
        using var scope = NewDisposeScope();
        var c = latents.shape[1];
        var f = images.shape[2] / latents.shape[2];
        var target = nn.functional.avg_pool2d(images.to_type(ScalarType.Float64), f, f);                  // [N, 3, h, w]
        var z = latents.to_type(ScalarType.Float64).permute(0, 2, 3, 1).reshape(-1, c);                 // [M, C]
        var x = cat([z, ones(z.shape[0], 1, dtype: ScalarType.Float64)], 1);                            // [M, C + 1]
        var y = target.permute(0, 2, 3, 1).reshape(-1, 3);                                              // [M, 3]
        var w = linalg.solve(x.t().matmul(x), x.t().matmul(y));                                        // [C + 1, 3]
        var rmse = (x.matmul(w) - y).pow(2).mean().sqrt().item<double>();
        var values = w.contiguous().data<double>().ToArray();
        return new PreviewFile
        {
            Factors = Enumerable.Range(0, (int)c).Select(i => values.AsSpan(i * 3, 3).ToArray()).ToArray(),
            Bias = values.AsSpan((int)c * 3, 3).ToArray(), Source = source, FitRmse = rmse, Images = latents.shape[0],
        };
    }

    /// <param name="images">[N, 3, H, W] in [-1, 1], H and W multiples of the VAE's factor.</param>
    public static PreviewFile FitFromVae(AutoencoderKL vae, Tensor images, string source, int batch = 16)
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
            latents.Add(LatentSpace.FromVae(posterior.Mean, vae.Config.ScalingFactor));                                      // [b, C, h, w]
        }
        return Fit(cat(latents, 0), images, source);
    }
}
