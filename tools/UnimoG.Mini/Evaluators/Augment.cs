using TorchSharp;
using static TorchSharp.torch;

namespace UnimoG.Mini.Evaluators;

/// <summary>How strongly <see cref="Augment.Apply"/> perturbs images (SimCLR's recipe, scaled to 64x64 emoji).</summary>
public sealed record AugmentOptions
{
    /// <summary>Smallest share of the image area a random resized crop keeps.</summary>
    public double MinScale { get; init; } = 0.3;
    public double MaxAspect { get; init; } = 4.0 / 3;
    public double FlipProbability { get; init; } = 0.5;
    public double Brightness { get; init; } = 0.3;
    public double Contrast { get; init; } = 0.3;
    public double Saturation { get; init; } = 0.3;
    public double GrayProbability { get; init; } = 0.2;

    public static AugmentOptions Mild { get; } = new() { MinScale = 0.7, Brightness = 0.1, Contrast = 0.1, Saturation = 0.1, GrayProbability = 0 };
}

/// <summary>Batched image augmentation on the CPU, every random number drawn from the caller's generator.</summary>
public static class Augment
{
    /// <param name="images">[B, 3, H, W] in [0, 1]</param>
    /// <returns>[B, 3, H, W] in [0, 1]: random resized crop (bilinear), horizontal flip, colour jitter, grayscale</returns>
    public static Tensor Apply(Tensor images, AugmentOptions o, Generator g)
    {
        using var scope = torch.NewDisposeScope();
        var b = images.shape[0];
        Tensor U(double lo, double hi) => torch.rand([b], generator: g) * (hi - lo) + lo;
        // Random resized crop as an affine sampling grid: half-extents (w, h) in [-1, 1] units, centre anywhere it fits.
        var scale = U(o.MinScale, 1);
        var aspect = U(-Math.Log(o.MaxAspect), Math.Log(o.MaxAspect)).exp();
        var w = (scale * aspect).sqrt().clamp_max(1);
        var h = (scale / aspect).sqrt().clamp_max(1);
        var cx = (torch.rand([b], generator: g) * 2 - 1) * (1 - w);
        var cy = (torch.rand([b], generator: g) * 2 - 1) * (1 - h);
        var flip = torch.where(torch.rand([b], generator: g) < o.FlipProbability, -1f, 1f);
        var zero = torch.zeros(b);
        var theta = torch.stack([torch.stack([w * flip, zero, cx], 1), torch.stack([zero, h, cy], 1)], 1); // [B, 2, 3]
        var grid = nn.functional.affine_grid(theta, images.shape, align_corners: false);
        var x = nn.functional.grid_sample(images, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false);
        // Colour jitter: brightness, contrast (towards the mean grey), saturation (towards the pixel's grey).
        var view = new long[] { b, 1, 1, 1 };
        x = x * U(1 - o.Brightness, 1 + o.Brightness).view(view);
        var gray = Gray(x);
        var mean = gray.mean([1L, 2L, 3L], keepdim: true);
        x = (x - mean) * U(1 - o.Contrast, 1 + o.Contrast).view(view) + mean;
        gray = Gray(x);
        x = (x - gray) * U(1 - o.Saturation, 1 + o.Saturation).view(view) + gray;
        var toGray = (torch.rand([b], generator: g) < o.GrayProbability).view(view);
        x = torch.where(toGray, Gray(x).expand_as(x), x);
        return x.clamp(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>ITU-R 601 luma, [B, 1, H, W].</summary>
    private static Tensor Gray(Tensor x) => (0.299f * x[.., 0..1] + 0.587f * x[.., 1..2] + 0.114f * x[.., 2..3]);
}
