namespace UnimoG.Imaging;

/// <summary>Why an image could not be decoded.</summary>
public enum ImageDecodeError
{
    /// <summary>No bytes at all.</summary>
    Empty,
    /// <summary>The encoded file is larger than <see cref="ImageLimits.MaxBytes"/>.</summary>
    TooManyBytes,
    /// <summary>The header declares more pixels (or a longer side) than the limits allow; nothing was decoded.</summary>
    TooLarge,
    /// <summary>Not PNG, JPEG, WebP or GIF (by magic bytes).</summary>
    UnsupportedFormat,
    /// <summary>The header cannot be read (invalid or cut short), or the pixel data is invalid.</summary>
    Corrupt,
    /// <summary>The header is fine but the file ends before the pixels do.</summary>
    Truncated,
}

/// <summary>An image that cannot be used, with the reason as a code and a sentence.</summary>
public sealed class ImageDecodeException(ImageDecodeError reason, string message) : Exception(message)
{
    public ImageDecodeError Reason { get; } = reason;
}
