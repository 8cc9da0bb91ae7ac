namespace UnimoG.Imaging;

/// <summary>The encoded formats accepted for prompt and training images.</summary>
public enum ImageFormat { Png, Jpeg, WebP, Gif }

/// <summary>Recognises a format by its magic bytes, before any decoder sees the data.</summary>
public static class ImageFormatSniffer
{
    public const string Supported = "PNG, JPEG, WebP, GIF";

    public static ImageFormat? Detect(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
            return ImageFormat.Png;
        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
            return ImageFormat.Jpeg;
        if (data.Length >= 12 && data[..4].SequenceEqual("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
            return ImageFormat.WebP;
        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
            return ImageFormat.Gif;
        return null;
    }

    /// <summary>A name for well-known formats we do not take, for the error message.</summary>
    public static string Describe(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith("BM"u8)) return "BMP";
        if (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8)) return "TIFF";
        if (data.Length >= 12 && data[4..8].SequenceEqual("ftyp"u8))
            return data[8..12].SequenceEqual("avif"u8) ? "AVIF" : "HEIF/MP4";
        if (data.StartsWith((ReadOnlySpan<byte>)[0, 0, 1, 0])) return "ICO";
        if (data.StartsWith("8BPS"u8)) return "PSD";
        if (data.StartsWith("%PDF"u8)) return "PDF";
        if (data.StartsWith("<"u8) || data.StartsWith("\uFEFF<"u8)) return "text/SVG";
        if (data.Length >= 12 && data[..4].SequenceEqual("RIFF"u8)) return "RIFF (not WebP)";
        return "unknown";
    }
}
