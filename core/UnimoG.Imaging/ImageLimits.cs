namespace UnimoG.Imaging;

/// <summary>
/// What an image may cost before it is decoded. Checked against the file size and the header's dimensions,
/// so a small file claiming 20000x20000 pixels (a decompression bomb) is refused without allocating.
/// </summary>
public sealed record ImageLimits
{
    /// <summary>Largest encoded file, in bytes (default 20 MiB).</summary>
    public long MaxBytes { get; init; } = 20L << 20;

    /// <summary>Longest side, in pixels (default 8192).</summary>
    public int MaxSide { get; init; } = 8192;

    /// <summary>Most pixels, width times height (default 40 megapixels: 160 MB as RGBA).</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    public static ImageLimits Default { get; } = new();

    public void Validate()
    {
        if (MaxBytes <= 0) throw new ArgumentOutOfRangeException(nameof(MaxBytes), MaxBytes, "must be positive");
        if (MaxSide <= 0) throw new ArgumentOutOfRangeException(nameof(MaxSide), MaxSide, "must be positive");
        if (MaxPixels <= 0) throw new ArgumentOutOfRangeException(nameof(MaxPixels), MaxPixels, "must be positive");
    }
}
