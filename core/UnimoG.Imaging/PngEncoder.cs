using SkiaSharp;

namespace UnimoG.Imaging;

/// <summary>
/// PNG encoding of raw pixels through Skia, always with the same settings (all row filters, zlib level 6: Skia's
/// defaults), so equal pixels give equal bytes. Opaque images are written as RGB (colour type 2), images with alpha
/// as straight (unpremultiplied) RGBA (colour type 6), masks as 8-bit grey. Decode with <see cref="ImageDecoder"/>.
/// </summary>
public static class PngEncoder
{
    private static readonly SKPngEncoderOptions Options = new(SKPngEncoderFilterFlags.AllFilters, 6);

    /// <summary>RGBA when the image <see cref="DecodedImage.HasAlpha">has alpha</see>, else RGB.</summary>
    public static byte[] Encode(DecodedImage image) =>
        Encode(image.Rgba, image.Width, image.Height, SKColorType.Rgba8888, image.HasAlpha ? SKAlphaType.Unpremul : SKAlphaType.Opaque);

    /// <summary>Row-major RGB bytes as an opaque RGB PNG.</summary>
    public static byte[] EncodeRgb(byte[] rgb, int width, int height)
    {
        if (rgb.Length != checked(width * height * 3))
            throw new ArgumentException($"Expected {width}x{height}x3 bytes, got {rgb.Length}.", nameof(rgb));
        return Encode(DecodedImage.FromRgb(width, height, rgb));
    }

    /// <summary>Row-major unpremultiplied RGBA bytes as an RGBA PNG (alpha kept even when every pixel is opaque).</summary>
    public static byte[] EncodeRgba(byte[] rgba, int width, int height) =>
        Encode(rgba, width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);

    /// <summary>Row-major 8-bit grey values (e.g. a mask: 255 inside, 0 outside) as a greyscale PNG.</summary>
    public static byte[] EncodeGray(byte[] gray, int width, int height) =>
        Encode(gray, width, height, SKColorType.Gray8, SKAlphaType.Opaque);

    private static unsafe byte[] Encode(byte[] pixels, int width, int height, SKColorType colorType, SKAlphaType alphaType)
    {
        var info = new SKImageInfo(width, height, colorType, alphaType);
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"Image size must be positive, got {width}x{height}.");
        if (pixels.Length != info.BytesSize64)
            throw new ArgumentException($"Expected {width}x{height}x{info.BytesPerPixel} bytes, got {pixels.Length}.", nameof(pixels));
        fixed (byte* p = pixels)
        {
            using var pixmap = new SKPixmap(info, (IntPtr)p, info.RowBytes);
            using var data = pixmap.Encode(Options)
                ?? throw new InvalidOperationException($"Skia could not encode a {width}x{height} {colorType} PNG.");
            return data.ToArray();
        }
    }
}
