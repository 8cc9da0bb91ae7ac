using SkiaSharp;

namespace UnimoG.Imaging;

/// <summary>
/// Decodes PNG, JPEG, WebP and GIF (first frame) with SkiaSharp, safely: format by magic bytes, file size and
/// header dimensions checked against <see cref="ImageLimits"/> before any pixel is decoded, truncated or
/// corrupt data detected (SKCodec.GetPixels' result, where SKBitmap.Decode would return a half-grey image),
/// EXIF orientation applied, colours unpremultiplied. Colour profiles are ignored, as PIL ignores them. Given the size
/// its consumer resizes to, a much larger image is decoded scaled (<see cref="ScaledDecoding"/>, <see cref="Plan"/>).
/// </summary>
public static class ImageDecoder
{
    /// <param name="scaling">
    /// The size the image will be resized to: an image much larger is reduced while decoding (<see cref="ScaledDecoding"/>),
    /// so the full-size pixels never exist. Null (or a factor of 1) decodes at full size.
    /// </param>
    public static DecodedImage Decode(byte[] data, ImageLimits? limits = null, ScaledDecoding? scaling = null)
    {
        var (codec, format, info) = Open(data, limits ?? ImageLimits.Default);
        using (codec)
        {
            var origin = Origin(codec, format, data);
            var plan = DecodePlan.For(format, info, origin, data, scaling);
            var rgba = plan.Scaled ? ScaledDecoder.Decode(codec, format, data, info, plan) : Full(codec, format, info, data.Length);
            var (w, h) = SwapsAxes(origin) ? (plan.DecodedHeight, plan.DecodedWidth) : (plan.DecodedWidth, plan.DecodedHeight);
            // HasAlpha: whether the file has an alpha channel (a layer may be RGBA yet fully opaque).
            var image = new DecodedImage(w, h, rgba, format, hasAlpha: info.AlphaType != SKAlphaType.Opaque);
            return Orient(image, origin);
        }
    }

    /// <summary>
    /// The decoded size and the bytes <see cref="Decode"/> will allocate, from the header alone, with the same checks
    /// (limits, format, a readable header) and the same choice of scaled decoding.
    /// </summary>
    public static DecodePlan Plan(byte[] data, ImageLimits? limits = null, ScaledDecoding? scaling = null)
    {
        var (codec, format, info) = Open(data, limits ?? ImageLimits.Default);
        using (codec)
            return DecodePlan.For(format, info, Origin(codec, format, data), data, scaling);
    }

    private static byte[] Full(SKCodec codec, ImageFormat format, SKImageInfo info, int fileLength)
    {
        var rgba = new byte[checked(info.Width * info.Height * 4)];
        var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        return codec.GetPixels(target, rgba) switch
        {
            SKCodecResult.Success => rgba,
            SKCodecResult.IncompleteInput => throw Truncated(format, fileLength),
            var result => throw Corrupt(format, result.ToString()),
        };
    }

    internal static ImageDecodeException Truncated(ImageFormat format, int fileLength) =>
        new(ImageDecodeError.Truncated, $"The {format} image is truncated: the data ends before the pixels do ({fileLength} bytes).");

    internal static ImageDecodeException Corrupt(ImageFormat format, string detail) =>
        new(ImageDecodeError.Corrupt, $"The {format} image data is corrupt ({detail}).");

    /// <summary>Format and upright size from the header alone (no pixel decoding), with the same checks as <see cref="Decode"/>.</summary>
    public static (ImageFormat Format, int Width, int Height) ReadHeader(byte[] data, ImageLimits? limits = null)
    {
        var plan = Plan(data, limits);
        return (plan.Format, plan.Width, plan.Height);
    }

    private static SKEncodedOrigin Origin(SKCodec codec, ImageFormat format, byte[] data) =>
        format == ImageFormat.Png ? ExifOrientation.FromPng(data) : codec.EncodedOrigin;

    private static (SKCodec Codec, ImageFormat Format, SKImageInfo Info) Open(byte[] data, ImageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length == 0)
            throw new ImageDecodeException(ImageDecodeError.Empty, "The image is empty (0 bytes).");
        if (data.Length > limits.MaxBytes)
            throw new ImageDecodeException(ImageDecodeError.TooManyBytes,
                $"The image file has {data.Length:N0} bytes; the limit is {limits.MaxBytes:N0}.");
        if (ImageFormatSniffer.Detect(data) is not { } format)
            throw new ImageDecodeException(ImageDecodeError.UnsupportedFormat,
                $"The data is not a decodable image: unsupported format ({ImageFormatSniffer.Describe(data)}); supported: {ImageFormatSniffer.Supported}.");

        var codec = SKCodec.Create(new SKMemoryStream(data), out var result);
        if (codec is null)
        {
            // Skia reports IncompleteInput for any header it cannot parse (bad CRC, bad bit depth, cut short),
            // so a header failure is "corrupt"; "truncated" is kept for a good header with missing pixels.
            throw new ImageDecodeException(ImageDecodeError.Corrupt, $"The {format} header is invalid or incomplete ({result}).");
        }
        var info = codec.Info;
        ImageDecodeException? fault = null;
        if (info.Width <= 0 || info.Height <= 0)
            fault = new(ImageDecodeError.Corrupt, $"The {format} header declares an empty image ({info.Width}x{info.Height}).");
        else if (info.Width > limits.MaxSide || info.Height > limits.MaxSide)
            fault = new(ImageDecodeError.TooLarge, $"The {format} image is {info.Width}x{info.Height}: a side is longer than {limits.MaxSide} pixels.");
        else if ((long)info.Width * info.Height > limits.MaxPixels)
            fault = new(ImageDecodeError.TooLarge, $"The {format} image is {info.Width}x{info.Height}: more than {limits.MaxPixels:N0} pixels.");
        // Configured limits are only checked for being positive: whatever they allow, RGBA must fit in one array.
        else if ((long)info.Width * info.Height * 4 > Array.MaxLength)
            fault = new(ImageDecodeError.TooLarge, $"The {format} image is {info.Width}x{info.Height}: too many pixels to decode in memory.");
        if (fault is not null)
        {
            codec.Dispose();
            throw fault;
        }
        return (codec, format, info);
    }

    internal static bool SwapsAxes(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    /// <summary>
    /// Applies an EXIF orientation (what PIL's ImageOps.exif_transpose does, as transformers' load_image); the result
    /// records it in <see cref="DecodedImage.ExifOrientation"/>.
    /// </summary>
    public static DecodedImage Orient(DecodedImage image, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft or 0)
            return image;
        int w = image.Width, h = image.Height;
        bool swap = SwapsAxes(origin);
        int ow = swap ? h : w, oh = swap ? w : h;
        var src = image.Rgba;
        var dst = new byte[src.Length];
        for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
        {
            // (sx, sy): the stored pixel shown at (x, y).
            var (sx, sy) = origin switch
            {
                SKEncodedOrigin.TopRight => (w - 1 - x, y),          // 2: mirror left-right
                SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y), // 3: rotate 180
                SKEncodedOrigin.BottomLeft => (x, h - 1 - y),        // 4: mirror top-bottom
                SKEncodedOrigin.LeftTop => (y, x),                   // 5: transpose
                SKEncodedOrigin.RightTop => (y, h - 1 - x),          // 6: rotate 90 clockwise
                SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x), // 7: transverse
                SKEncodedOrigin.LeftBottom => (w - 1 - y, x),        // 8: rotate 90 anticlockwise
                _ => (x, y),
            };
            Buffer.BlockCopy(src, 4 * (sy * w + sx), dst, 4 * (y * ow + x), 4);
        }
        return new DecodedImage(ow, oh, dst, image.Format, image.HasAlpha, (int)origin);
    }
}
