using System.Globalization;
using UnimoG.Data.Previews;
using UnimoG.Modeling.Images;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Sampling;

/// <summary>
/// A linear latent-to-RGB projection for cheap denoising previews: per latent pixel,
/// rgb = z · <see cref="Factors"/> + <see cref="Bias"/>, in [-1, 1] like a decoded image, where z is the
/// C-channel latent in the diffusion space (what the U-Net sees: VAE latents times scaling_factor).
/// One matrix multiply per pixel instead of a VAE decode. Stored in a model folder as <c>preview.json</c>
/// (<see cref="PreviewFile"/>); fitted by <see cref="Pipelines.PreviewFitting"/>.
/// </summary>
public sealed record LatentPreviewFactors(float[][] Factors, float[] Bias, string Source)
{
    public const string FileName = PreviewFile.FileName;

    /// <summary>
    /// Stable Diffusion 1.x's public factors (as ComfyUI's <c>latent_formats.SD15</c> ships them; no bias),
    /// for latents in the diffusion space (times 0.18215).
    /// </summary>
    public static LatentPreviewFactors StableDiffusion15 { get; } = new(
        [
            [0.3512f, 0.2297f, 0.3227f],
            [0.3250f, 0.4974f, 0.2350f],
            [-0.2829f, 0.1762f, 0.2721f],
            [-0.2120f, -0.2616f, -0.7177f],
        ],
        [0f, 0f, 0f],
        "Stable Diffusion 1.5 public latent-to-RGB factors");

    public int LatentChannels => Factors.Length;

    /// <summary>x0 [B, C, h, w] -> images [B, 3, h, w] (unclamped; PNG encoding clamps to [-1, 1]).</summary>
    public Tensor Project(Tensor latents)
    {
        if (latents.dim() != 4 || latents.shape[1] != LatentChannels)
            throw new ArgumentException($"preview: expected latents [B, {LatentChannels}, h, w], got [{string.Join(", ", latents.shape)}]");
        using var scope = NewDisposeScope();
        var m = tensor(Factors.SelectMany(r => r).ToArray(), [LatentChannels, 3], dtype: ScalarType.Float32).to(latents.device); // [C, 3]
        var b = tensor(Bias, [1, 3, 1, 1], dtype: ScalarType.Float32).to(latents.device);
        var rgb = einsum("bchw,cd->bdhw", latents.to_type(ScalarType.Float32), m) + b;                                    // [B, 3, h, w]
        return rgb.MoveToOuterDisposeScope();
    }

    /// <summary>One PNG per row of x0, at latent resolution.</summary>
    public IReadOnlyList<byte[]> Pngs(Tensor latents)
    {
        using var rgb = Project(latents);
        return Png.EncodeBatch(rgb);
    }

    /// <summary>The factors of a <c>preview.json</c> (read and written only by <see cref="PreviewFile"/>), as float32 for projecting.</summary>
    public static LatentPreviewFactors From(PreviewFile file, string source) =>
        new(file.Factors.Select(r => r.Select(v => (float)v).ToArray()).ToArray(), file.Bias.Select(v => (float)v).ToArray(), file.Source ?? source);

    /// <summary>Reads <c>preview.json</c> from a model folder; null when there is none.</summary>
    public static LatentPreviewFactors? Load(string modelFolder) =>
        PreviewFile.Load(modelFolder) is { } file ? From(file, Path.Combine(modelFolder, FileName)) : null;

    public override string ToString() => string.Join("; ", Factors.Select(r => string.Join(" ", r.Select(v => v.ToString("0.####", CultureInfo.InvariantCulture)))));
}
