using SkiaSharp;
using UnimoG.Imaging;

namespace UnimoG.EmojiWorld;

/// <summary>
/// One 64x64 emoji image: its exact unpremultiplied RGBA bytes (for reference images), a premultiplied
/// <see cref="SKImage"/> for drawing (filtering must happen on premultiplied colour, or edges go dark), the
/// box of its visible pixels and its mean colour. Immutable and safe to draw from several threads.
/// </summary>
public sealed class Sprite : IDisposable
{
    public const int Size = 64;

    /// <summary>Pixels with alpha at or above this count as part of the drawing when measuring its extent.</summary>
    public const byte ExtentAlpha = 16;

    public string Hex { get; }
    /// <summary>Row-major unpremultiplied RGBA, 64*64*4 bytes, exactly as decoded from the PNG.</summary>
    public byte[] Rgba { get; }

    /// <summary>The sprite composited on white as RGB (Pillow-exact, <see cref="DecodedImage.ToRgb"/>): how the MLLM and the evaluators see a reference.</summary>
    public byte[] RgbOnWhite() => new DecodedImage(Size, Size, Rgba).ToRgb(Rgb.White);
    /// <summary>Integer box of pixels with alpha >= <see cref="ExtentAlpha"/>; drawing uses this as the source rectangle.</summary>
    public SKRectI Extent { get; }
    /// <summary>Pixels with alpha >= 128: how much of the square the drawing really fills (a racket far less than a ball).</summary>
    public int Area { get; }
    /// <summary>Alpha-weighted mean sRGB colour, used to keep flat backgrounds from matching the subject.</summary>
    public (float R, float G, float B) MeanColour { get; }
    internal SKImage Image { get; }

    public Sprite(string hex, byte[] rgba)
    {
        if (rgba.Length != Size * Size * 4)
            throw new InvalidDataException($"Emoji {hex}: expected {Size}x{Size} RGBA pixels, got {rgba.Length} bytes.");
        Hex = hex;
        Rgba = rgba;
        int x0 = Size, y0 = Size, x1 = 0, y1 = 0, area = 0;
        double r = 0, g = 0, b = 0, w = 0;
        for (var y = 0; y < Size; y++)
        for (var x = 0; x < Size; x++)
        {
            var i = (y * Size + x) * 4;
            var a = rgba[i + 3];
            if (a >= 128) area++;
            if (a >= ExtentAlpha)
            {
                x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); x1 = Math.Max(x1, x + 1); y1 = Math.Max(y1, y + 1);
            }
            r += rgba[i] * a; g += rgba[i + 1] * a; b += rgba[i + 2] * a; w += a;
        }
        if (x1 <= x0)
            throw new InvalidDataException($"Emoji {hex}: the image is fully transparent.");
        Extent = new SKRectI(x0, y0, x1, y1);
        Area = area;
        MeanColour = ((float)(r / w), (float)(g / w), (float)(b / w));
        // Premultiply once, by Skia, for drawing.
        var info = new SKImageInfo(Size, Size, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var unpremul = SKImage.FromPixelCopy(info, rgba, info.RowBytes)
            ?? throw new InvalidOperationException($"Emoji {hex}: Skia could not wrap the pixels.");
        var premulInfo = info.WithAlphaType(SKAlphaType.Premul);
        using var bitmap = new SKBitmap(premulInfo);
        if (!unpremul.ReadPixels(premulInfo, bitmap.GetPixels(), premulInfo.RowBytes, 0, 0))
            throw new InvalidOperationException($"Emoji {hex}: Skia could not premultiply the pixels.");
        bitmap.SetImmutable();
        Image = SKImage.FromBitmap(bitmap);
    }

    /// <summary>Decodes a 64x64 PNG with alpha, unpremultiplied (exact colours), within the default decoding limits.</summary>
    public static Sprite Decode(string hex, byte[] png, string source)
    {
        DecodedImage image;
        try
        {
            image = ImageDecoder.Decode(png);
        }
        catch (ImageDecodeException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
        if (image.Width != Size || image.Height != Size)
            throw new InvalidDataException($"{source}: expected a {Size}x{Size} image, found {image.Width}x{image.Height}.");
        return new Sprite(hex, image.Rgba);
    }

    public void Dispose() => Image.Dispose();
}
