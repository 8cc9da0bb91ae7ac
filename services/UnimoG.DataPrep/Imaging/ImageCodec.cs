using SkiaSharp;

namespace UnimoG.DataPrep.Imaging;

/// <summary>
/// Decoding and PNG encoding through SkiaSharp. Checks the header before allocating (no decompression bombs),
/// reports truncated data (Skia's <c>SKBitmap.Decode</c> would silently return a partly grey image), and applies
/// the EXIF orientation so that boxes and masks refer to the upright picture.
/// </summary>
public static class ImageCodec
{
    /// <summary>Decodes <paramref name="data"/>; throws <see cref="InvalidDataException"/> with the reason when it cannot.</summary>
    public static unsafe DecodedImage Decode(byte[] data, long maxPixels)
    {
        if (data.Length == 0)
            throw new InvalidDataException("empty image file");
        using var skData = SKData.CreateCopy(data);
        using var codec = SKCodec.Create(skData)
            ?? throw new InvalidDataException("not a decodable image (unknown format or garbage bytes)");
        var (w, h) = (codec.Info.Width, codec.Info.Height);
        if (w <= 0 || h <= 0)
            throw new InvalidDataException($"image header gives a size of {w}x{h}");
        if ((long)w * h > maxPixels)
            throw new InvalidDataException($"image is {w}x{h} = {(long)w * h} pixels, more than the limit of {maxPixels}");

        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = new byte[w * h * 4];
        SKCodecResult result;
        fixed (byte* p = pixels)
            result = codec.GetPixels(info, (IntPtr)p);
        if (result != SKCodecResult.Success)
            throw new InvalidDataException(result == SKCodecResult.IncompleteInput
                ? "truncated image data (decoder reached the end of the file early)"
                : $"corrupt image data ({result})");

        var hasAlpha = codec.Info.AlphaType != SKAlphaType.Opaque;
        var origin = codec.EncodedOrigin;
        var image = new RgbaImage(w, h, pixels, hasAlpha);
        var format = codec.EncodedFormat switch
        {
            SKEncodedImageFormat.Jpeg => "jpg",
            SKEncodedImageFormat.Png => "png",
            SKEncodedImageFormat.Webp => "webp",
            var f => f.ToString().ToLowerInvariant(),
        };
        return new DecodedImage(Orient(image, origin), format, (int)origin);
    }

    /// <summary>PNG bytes of <paramref name="image"/>: RGBA (unpremultiplied) when it has alpha, else RGB.</summary>
    public static unsafe byte[] EncodePng(RgbaImage image)
    {
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888,
            image.HasAlpha ? SKAlphaType.Unpremul : SKAlphaType.Opaque);
        fixed (byte* p = image.Pixels)
        {
            using var pixmap = new SKPixmap(info, (IntPtr)p, info.RowBytes);
            using var data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6))
                ?? throw new InvalidOperationException("PNG encoding failed");
            return data.ToArray();
        }
    }

    /// <summary>An 8-bit greyscale PNG of a mask: 255 inside, 0 outside.</summary>
    public static unsafe byte[] EncodeMaskPng(int width, int height, bool[] mask)
    {
        var gray = new byte[width * height];
        for (var i = 0; i < gray.Length; i++)
            gray[i] = mask[i] ? (byte)255 : (byte)0;
        var info = new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque);
        fixed (byte* p = gray)
        {
            using var pixmap = new SKPixmap(info, (IntPtr)p, info.RowBytes);
            using var data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6))
                ?? throw new InvalidOperationException("PNG encoding failed");
            return data.ToArray();
        }
    }

    /// <summary>Applies an EXIF orientation (1..8) to the pixel grid.</summary>
    internal static RgbaImage Orient(RgbaImage src, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft)
            return src;
        var transposed = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop
            or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var (w, h) = (src.Width, src.Height);
        var (ow, oh) = transposed ? (h, w) : (w, h);
        var dst = new byte[src.Pixels.Length];
        for (var y = 0; y < oh; y++)
        for (var x = 0; x < ow; x++)
        {
            // Source pixel shown at (x, y) of the upright picture.
            var (sx, sy) = origin switch
            {
                SKEncodedOrigin.TopRight => (w - 1 - x, y),
                SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y),
                SKEncodedOrigin.BottomLeft => (x, h - 1 - y),
                SKEncodedOrigin.LeftTop => (y, x),
                SKEncodedOrigin.RightTop => (y, h - 1 - x),
                SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x),
                SKEncodedOrigin.LeftBottom => (w - 1 - y, x),
                _ => (x, y),
            };
            Buffer.BlockCopy(src.Pixels, (sy * w + sx) * 4, dst, (y * ow + x) * 4, 4);
        }
        return new RgbaImage(ow, oh, dst, src.HasAlpha);
    }
}

/// <summary>A decoded image, its container format (<c>jpg</c>, <c>png</c>, <c>webp</c>) and EXIF orientation (1 = none).</summary>
public sealed record DecodedImage(RgbaImage Image, string Format, int ExifOrientation);
