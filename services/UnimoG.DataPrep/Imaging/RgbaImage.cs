namespace UnimoG.DataPrep.Imaging;

/// <summary>
/// Decoded pixels, row-major RGBA, 8 bits per channel, not premultiplied. This is the pipeline's only image type;
/// it is kept deliberately small so the project's shared image helpers can replace the codec behind it.
/// </summary>
public sealed class RgbaImage
{
    public RgbaImage(int width, int height, byte[] pixels, bool hasAlpha)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        if (pixels.Length != checked(width * height * 4))
            throw new ArgumentException($"pixel buffer holds {pixels.Length} bytes, {width}x{height} RGBA needs {width * height * 4}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
        HasAlpha = hasAlpha;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>[H, W, 4] RGBA bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>True when the encoded image carried an alpha channel (PNG/WebP with alpha).</summary>
    public bool HasAlpha { get; }

    public byte Alpha(int x, int y) => Pixels[(y * Width + x) * 4 + 3];

    /// <summary>Solid-colour image, mostly for tests and synthetic scenes.</summary>
    public static RgbaImage Filled(int width, int height, byte r, byte g, byte b, byte a = 255)
    {
        var px = new byte[width * height * 4];
        for (var i = 0; i < px.Length; i += 4)
        {
            px[i] = r; px[i + 1] = g; px[i + 2] = b; px[i + 3] = a;
        }
        return new RgbaImage(width, height, px, a != 255);
    }
}
