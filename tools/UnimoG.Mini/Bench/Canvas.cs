using SkiaSharp;
using UnimoG.Imaging;

namespace UnimoG.Mini.Bench;

/// <summary>
/// What the grid and plot renderers share: a white SkiaSharp surface, text in DejaVu Sans when the system has it
/// (SkiaSharp's no-dependency native build finds no system fonts by itself), PNG output through <see cref="PngEncoder"/>.
/// </summary>
internal sealed class Canvas : IDisposable
{
    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
    ];
    private static readonly Lazy<SKTypeface> Typeface = new(() =>
        FontFiles.Where(File.Exists).Select(SKTypeface.FromFile).FirstOrDefault(t => t is not null) ?? SKTypeface.Default);

    private readonly SKSurface _surface;
    public SKCanvas Draw => _surface.Canvas;
    public int Width { get; }
    public int Height { get; }

    public Canvas(int width, int height)
    {
        if (width <= 0 || height <= 0 || (long)width * height > 64_000_000)
            throw new ArgumentOutOfRangeException(nameof(width), $"{width}x{height}: a canvas side must be positive and the area at most 64 M pixels");
        (Width, Height) = (width, height);
        _surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
                   ?? throw new InvalidOperationException($"SkiaSharp could not create a {width}x{height} surface");
        Draw.Clear(SKColors.White);
    }

    public static SKFont Font(float size) => new(Typeface.Value, size);

    public void Text(string text, float x, float y, float size, SKColor colour, SKTextAlign align = SKTextAlign.Left)
    {
        using var font = Font(size);
        using var paint = new SKPaint { Color = colour, IsAntialias = true };
        Draw.DrawText(text, x, y, align, font, paint);
    }

    /// <summary>The longest prefix of <paramref name="text"/> (with an ellipsis) that fits <paramref name="width"/> pixels.</summary>
    public static string Fit(string text, float width, float size)
    {
        using var font = Font(size);
        if (font.MeasureText(text) <= width) return text;
        for (var n = text.Length - 1; n > 0; n--)
            if (font.MeasureText(text[..n] + "...") <= width) return text[..n] + "...";
        return "";
    }

    /// <summary>Draws 64x64 (or any square) RGB pixels scaled to a <paramref name="side"/>-pixel tile, nearest neighbour (pixels stay visible).</summary>
    public void Tile(byte[] rgb, int n, float x, float y, float side)
    {
        var rgba = new byte[n * n * 4];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
            (rgba[j], rgba[j + 1], rgba[j + 2], rgba[j + 3]) = (rgb[i], rgb[i + 1], rgb[i + 2], 255);
        using var bitmap = new SKBitmap(new SKImageInfo(n, n, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var image = SKImage.FromBitmap(bitmap);
        Draw.DrawImage(image, new SKRect(x, y, x + side, y + side), new SKSamplingOptions(SKFilterMode.Nearest));
    }

    /// <summary>The drawing as PNG, through <see cref="PngEncoder"/> like every image we write (the surface is opaque white underneath, so RGB).</summary>
    public byte[] Png()
    {
        var rgba = new byte[Width * Height * 4];
        var info = new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(rgba, System.Runtime.InteropServices.GCHandleType.Pinned);
        try
        {
            if (!_surface.ReadPixels(info, handle.AddrOfPinnedObject(), info.RowBytes, 0, 0))
                throw new InvalidOperationException($"SkiaSharp could not read the {Width}x{Height} surface");
        }
        finally
        {
            handle.Free();
        }
        return PngEncoder.Encode(new DecodedImage(Width, Height, rgba, hasAlpha: false));
    }

    public void Dispose() => _surface.Dispose();
}
