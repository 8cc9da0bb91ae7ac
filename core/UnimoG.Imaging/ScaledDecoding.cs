namespace UnimoG.Imaging;

/// <summary>
/// The size a consumer resizes images to (the CLIP processor's shortest edge), so the decoder may shrink much larger
/// ones while decoding, as Pillow's <c>resize(size, reducing_gap=ReducingGap)</c> does: whole factors per axis,
/// <c>int(side / target / gap)</c>, applied as box averages, leaving at least <see cref="ReducingGap"/> times the
/// target. An image under twice that (factor 1) is decoded at full size, unchanged. Memory then follows the target,
/// not the header (docs/imaging.md, "Scaled decoding").
/// </summary>
/// <param name="TargetFor">Upright (width, height) to the (width, height) the consumer resizes to.</param>
public sealed record ScaledDecoding(Func<int, int, (int Width, int Height)> TargetFor, int ReducingGap = 2)
{
    /// <summary>Largest factor per side: keeps a block's sums within 32 bits (128 x 128 pixels x 255 x 255).</summary>
    public const int MaxFactor = 128;

    /// <summary>
    /// Enough to check every pixel of an image whose pixels are not used (the gateway validates and forwards the
    /// bytes): a large image is reduced to at most a few hundred pixels per side.
    /// </summary>
    public static ScaledDecoding CheckOnly { get; } = new((_, _) => (64, 64));

    /// <summary>The factors (1 = not reduced) for an upright <paramref name="width"/> x <paramref name="height"/>.</summary>
    public (int X, int Y) Factors(int width, int height)
    {
        if (ReducingGap < 1) throw new InvalidOperationException($"ReducingGap must be at least 1, got {ReducingGap}.");
        var (tw, th) = TargetFor(width, height);
        return (Factor(width, tw), Factor(height, th));
    }

    private int Factor(int side, int target) => (int)Math.Clamp(side / ((long)ReducingGap * Math.Max(1, target)), 1, MaxFactor);
}
