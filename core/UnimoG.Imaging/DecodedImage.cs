namespace UnimoG.Imaging;

/// <summary>An sRGB colour, 8 bits per channel (a compositing background).</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public static Rgb White => new(255, 255, 255);
    public static Rgb Black => new(0, 0, 0);
}

/// <summary>
/// The project's one in-memory image: upright (EXIF orientation applied when decoded), unpremultiplied RGBA,
/// 8 bits per channel, row-major, <c>[Height, Width, 4]</c>. Alpha stays available (masks, layers);
/// <see cref="ToRgb"/> composites it away (vision towers, detectors).
/// </summary>
public sealed class DecodedImage
{
    public int Width { get; }
    public int Height { get; }
    /// <summary>[H, W, 4] bytes, straight (unpremultiplied) alpha.</summary>
    public byte[] Rgba { get; }
    /// <summary>The format it was decoded from (null for images made in memory).</summary>
    public ImageFormat? Format { get; }
    /// <summary>
    /// True when the image carries an alpha channel: for a decoded file, when the file has one (PNG/WebP/GIF with
    /// alpha, even if every pixel is opaque); for an image made in memory, as told, else when some pixel is not
    /// fully opaque.
    /// </summary>
    public bool HasAlpha { get; }
    /// <summary>The EXIF orientation (1..8) that was applied to the stored pixels to make them upright; 1 = none.</summary>
    public int ExifOrientation { get; }

    public DecodedImage(int width, int height, byte[] rgba, ImageFormat? format = null, bool? hasAlpha = null, int exifOrientation = 1)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"Image size must be positive, got {width}x{height}.");
        if (rgba.Length != checked(width * height * 4))
            throw new ArgumentException($"RGBA buffer has {rgba.Length} bytes, {width}x{height}x4 = {width * height * 4} expected.", nameof(rgba));
        if (exifOrientation is < 1 or > 8)
            throw new ArgumentOutOfRangeException(nameof(exifOrientation), exifOrientation, "EXIF orientation must be 1..8.");
        Width = width;
        Height = height;
        Rgba = rgba;
        Format = format;
        ExifOrientation = exifOrientation;
        HasAlpha = hasAlpha ?? AnyTranslucent(rgba);
    }

    private static bool AnyTranslucent(byte[] rgba)
    {
        for (int i = 3; i < rgba.Length; i += 4)
            if (rgba[i] != 255) return true;
        return false;
    }

    /// <summary>
    /// [H, W, 3] RGB. With a background, each pixel is composited over it (PIL's <c>alpha_composite</c>
    /// rounding); with null, alpha is dropped and transparent pixels keep their stored colour
    /// (PIL's <c>convert("RGB")</c>, what transformers 4.37's <c>convert_rgb</c> does).
    /// </summary>
    public byte[] ToRgb(Rgb? background)
    {
        var rgb = new byte[Width * Height * 3];
        for (int p = 0, q = 0; p < Rgba.Length; p += 4, q += 3)
        {
            byte a = Rgba[p + 3];
            if (background is not { } bg || a == 255)
            {
                rgb[q] = Rgba[p]; rgb[q + 1] = Rgba[p + 1]; rgb[q + 2] = Rgba[p + 2];
                continue;
            }
            rgb[q] = Over(Rgba[p], bg.R, a);
            rgb[q + 1] = Over(Rgba[p + 1], bg.G, a);
            rgb[q + 2] = Over(Rgba[p + 2], bg.B, a);
        }
        return rgb;
    }

    /// <summary>
    /// One channel of <paramref name="src"/> with alpha over an opaque <paramref name="dst"/>, in PIL's fixed point
    /// (AlphaComposite.c, 7 extra bits, rounded /255): equals round((src * a + dst * (255 - a)) / 255).
    /// </summary>
    internal static byte Over(byte src, byte dst, byte alpha)
    {
        if (alpha == 0) return dst;
        const int Precision = 7;
        uint coef1 = (uint)alpha * 255 * 255 * (1 << Precision) / (255u * 255);
        uint coef2 = 255 * (1 << Precision) - coef1;
        uint tmp = src * coef1 + dst * coef2 + (0x80 << Precision);
        return (byte)((((tmp >> 8) + tmp) >> 8) >> Precision);
    }

    /// <summary>[H, W] alpha channel (255 = opaque), e.g. for an entity mask.</summary>
    public byte[] Alpha()
    {
        var alpha = new byte[Width * Height];
        for (int i = 0; i < alpha.Length; i++)
            alpha[i] = Rgba[4 * i + 3];
        return alpha;
    }

    /// <summary>The alpha of one pixel.</summary>
    public byte Alpha(int x, int y) => Rgba[(y * Width + x) * 4 + 3];

    /// <summary>
    /// The <paramref name="width"/> x <paramref name="height"/> region whose top-left corner is
    /// (<paramref name="left"/>, <paramref name="top"/>); parts outside the image are transparent black (PIL's
    /// <c>Image.crop</c>). Keeps <see cref="HasAlpha"/> and <see cref="Format"/>.
    /// </summary>
    public DecodedImage Crop(int left, int top, int width, int height) =>
        new(width, height, ImageOps.Crop(Rgba, Width, Height, 4, left, top, width, height), Format,
            HasAlpha || left < 0 || top < 0 || left + width > Width || top + height > Height);

    /// <summary><c>var (rgba, width, height) = image;</c></summary>
    public void Deconstruct(out byte[] rgba, out int width, out int height) => (rgba, width, height) = (Rgba, Width, Height);

    /// <summary>A constant-colour image (tests, padding).</summary>
    public static DecodedImage Solid(int width, int height, byte r, byte g, byte b, byte a = 255)
    {
        var rgba = new byte[width * height * 4];
        for (int i = 0; i < rgba.Length; i += 4)
        {
            rgba[i] = r; rgba[i + 1] = g; rgba[i + 2] = b; rgba[i + 3] = a;
        }
        return new DecodedImage(width, height, rgba);
    }

    /// <summary>An opaque image from [H, W, 3] RGB bytes.</summary>
    public static DecodedImage FromRgb(int width, int height, byte[] rgb)
    {
        if (rgb.Length != checked(width * height * 3))
            throw new ArgumentException($"RGB buffer has {rgb.Length} bytes, {width}x{height}x3 = {width * height * 3} expected.", nameof(rgb));
        var rgba = new byte[width * height * 4];
        for (int p = 0, q = 0; q < rgb.Length; p += 4, q += 3)
        {
            rgba[p] = rgb[q]; rgba[p + 1] = rgb[q + 1]; rgba[p + 2] = rgb[q + 2]; rgba[p + 3] = 255;
        }
        return new DecodedImage(width, height, rgba, hasAlpha: false);
    }
}
