using SkiaSharp;

namespace UnimoG.EmojiWorld;

/// <summary>PNG encoding of raw pixels through Skia (RGB for opaque images, RGBA unpremultiplied otherwise).</summary>
public static class Png
{
    /// <summary>Encodes row-major RGB bytes as an opaque (colour type 2, RGB) PNG.</summary>
    public static byte[] EncodeRgb(byte[] rgb, int width, int height)
    {
        if (rgb.Length != width * height * 3)
            throw new ArgumentException($"Expected {width}x{height}x3 bytes, got {rgb.Length}.", nameof(rgb));
        var rgba = new byte[width * height * 4];
        for (var i = 0; i < width * height; i++)
        {
            rgba[i * 4] = rgb[i * 3];
            rgba[i * 4 + 1] = rgb[i * 3 + 1];
            rgba[i * 4 + 2] = rgb[i * 3 + 2];
            rgba[i * 4 + 3] = 255;
        }
        return Encode(rgba, width, height, SKAlphaType.Opaque);
    }

    /// <summary>Encodes row-major unpremultiplied RGBA bytes as an RGBA PNG.</summary>
    public static byte[] EncodeRgba(byte[] rgba, int width, int height) => Encode(rgba, width, height, SKAlphaType.Unpremul);

    /// <summary>Decodes a PNG to unpremultiplied RGBA bytes (exact colours), with its size.</summary>
    public static (byte[] Rgba, int Width, int Height) DecodeRgba(byte[] png)
    {
        using var data = SKData.CreateCopy(png);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("Not a decodable image.");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        unsafe
        {
            fixed (byte* p = rgba)
            {
                var result = codec.GetPixels(info, (IntPtr)p);
                if (result != SKCodecResult.Success)
                    throw new InvalidDataException($"PNG decoding failed ({result}).");
            }
        }
        return (rgba, info.Width, info.Height);
    }

    private static byte[] Encode(byte[] rgba, int width, int height, SKAlphaType alpha)
    {
        if (rgba.Length != width * height * 4)
            throw new ArgumentException($"Expected {width}x{height}x4 bytes, got {rgba.Length}.", nameof(rgba));
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, alpha);
        unsafe
        {
            fixed (byte* p = rgba)
            {
                using var pixmap = new SKPixmap(info, (IntPtr)p, info.RowBytes);
                using var data = pixmap.Encode(SKEncodedImageFormat.Png, 100)
                    ?? throw new InvalidOperationException("Skia could not encode the PNG.");
                return data.ToArray();
            }
        }
    }
}
