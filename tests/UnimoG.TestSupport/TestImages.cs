using SkiaSharp;
using UnimoG.Imaging;

namespace UnimoG.TestSupport;

/// <summary>Images made in the tests, and the committed Pillow references in <c>tests/data/images</c>.</summary>
public static class TestImages
{
    public static string Data(string name) => Path.Combine(RepoPaths.Root, "tests", "data", "images", name);

    /// <summary>Encodes straight-alpha RGBA pixels with Skia.</summary>
    public static byte[] Encode(int width, int height, byte[] rgba, SKEncodedImageFormat format, int quality = 100)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>Deterministic noise, [H, W, 4], opaque unless <paramref name="alpha"/>.</summary>
    public static byte[] Noise(int width, int height, int seed, bool alpha = false)
    {
        var rng = new Random(seed);
        var rgba = new byte[width * height * 4];
        rng.NextBytes(rgba);
        if (!alpha)
            for (int i = 3; i < rgba.Length; i += 4) rgba[i] = 255;
        return rgba;
    }

    /// <summary>
    /// A PNG with a valid signature and IHDR chunk claiming a size, then the start of an IDAT chunk whose data
    /// never comes: what a decompression bomb looks like to a header reader. <paramref name="badCrc"/> spoils the IHDR.
    /// </summary>
    public static byte[] PngHeaderOnly(int width, int height, bool badCrc = false, byte bitDepth = 8)
    {
        var ihdr = new List<byte>();
        ihdr.AddRange("IHDR"u8.ToArray());
        ihdr.AddRange(BigEndian(width));
        ihdr.AddRange(BigEndian(height));
        ihdr.AddRange(new byte[] { bitDepth, 6, 0, 0, 0 }); // RGBA, deflate, no filter, no interlace
        var png = new List<byte> { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A };
        png.AddRange(BigEndian(13));
        png.AddRange(ihdr);
        png.AddRange(BigEndian((int)Crc32(ihdr.ToArray()) ^ (badCrc ? 1 : 0)));
        png.AddRange(BigEndian(1 << 20));
        png.AddRange("IDAT"u8.ToArray());
        png.AddRange(new byte[] { 0x78, 0x9C, 0xED, 0xC1, 0x01, 0x0D, 0x00, 0x00 }); // zlib stream, cut short
        return png.ToArray();
    }

    /// <summary>Inserts an EXIF APP1 segment with an orientation tag right after a JPEG's SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD0 at 8
            0, 1,                                    // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0, // Orientation, SHORT, count 1
            0, 0, 0, 0,                              // no next IFD
        ];
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        int length = payload.Length + 2;
        var segment = new byte[] { 0xFF, 0xE1, (byte)(length >> 8), (byte)length }.Concat(payload);
        return jpeg.Take(2).Concat(segment).Concat(jpeg.Skip(2)).ToArray();
    }

    private static byte[] BigEndian(int value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    /// <summary>PNG's CRC-32 (ISO-HDLC, reflected 0xEDB88320), over a chunk's type and data: one copy for every test that writes chunks.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320 & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    /// <summary>Pixels of a committed PNG as [H, W, 3] RGB.</summary>
    public static (byte[] Rgb, int Width, int Height) ReadRgb(string name)
    {
        var image = ImageDecoder.Decode(File.ReadAllBytes(Data(name)));
        return (image.ToRgb(null), image.Width, image.Height);
    }
}
