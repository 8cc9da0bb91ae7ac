using SkiaSharp;

namespace UnimoG.Imaging;

/// <summary>
/// What <see cref="ImageDecoder.Decode"/> will make of a file and what it will cost, known from the header alone
/// (<see cref="ImageDecoder.Plan"/>): budgets count it before any pixel is decoded.
/// </summary>
/// <param name="Width">Upright width the header declares.</param>
/// <param name="Height">Upright height the header declares.</param>
/// <param name="DecodedWidth">Width of the decoded image: <paramref name="Width"/>, or less when it is decoded scaled.</param>
/// <param name="DecodedHeight">Height of the decoded image.</param>
/// <param name="Bytes">
/// Peak bytes decoding allocates, managed and native: the decoded RGBA (twice when an EXIF orientation is applied),
/// Skia's copy of the file, for a scaled decode its rows and block sums, and what the codec keeps of the whole image
/// itself (lossless WebP, progressive JPEG, interlaced PNG through Skia).
/// </param>
public sealed record DecodePlan(ImageFormat Format, int Width, int Height, int DecodedWidth, int DecodedHeight, long Bytes)
{
    /// <summary>Pixels the header declares: what decoding reads, scaled or not.</summary>
    public long Pixels => (long)Width * Height;

    /// <summary>True when the image is reduced while decoding.</summary>
    public bool Scaled => DecodedWidth != Width || DecodedHeight != Height;

    /// <summary>The reduction factors along the stored (not upright) axes.</summary>
    internal (int X, int Y) StoredFactors { get; private init; } = (1, 1);

    internal bool Interlaced { get; private init; }

    internal static DecodePlan For(ImageFormat format, SKImageInfo stored, SKEncodedOrigin origin, byte[] data, ScaledDecoding? scaling)
    {
        bool swap = ImageDecoder.SwapsAxes(origin);
        int w = swap ? stored.Height : stored.Width, h = swap ? stored.Width : stored.Height;
        // Skia's GIF codec decodes whole frames only: GIF is always decoded at full size (and costs it).
        var (fx, fy) = scaling is null || format == ImageFormat.Gif ? (1, 1) : scaling.Factors(w, h);
        int dw = (w + fx - 1) / fx, dh = (h + fy - 1) / fy;
        bool scaled = fx > 1 || fy > 1;
        bool interlaced = format == ImageFormat.Png && data.Length > 28 && data[28] == 1; // IHDR's interlace method
        long bytes = 4L * dw * dh * (origin is SKEncodedOrigin.TopLeft or 0 ? 1 : 2) + data.Length + CodecBytes(format, data, (long)w * h, scaled);
        if (scaled)
            bytes += 64L * Math.Max(w, h) + BoxReducer.SumBytes(swap ? dh : dw, swap ? dw : dh, interlaced);
        return new DecodePlan(format, w, h, dw, dh, bytes) { StoredFactors = swap ? (fy, fx) : (fx, fy), Interlaced = interlaced };
    }

    // What the codec libraries hold of the whole image whatever the output size (peak RSS measured with Skia 4.155):
    // libwebp's lossless decoder keeps every ARGB pixel (a 4000x4000 VP8L decoded to 65x65 peaks at +74 MB; lossy VP8
    // works by macroblock rows), libjpeg every DCT coefficient of a progressive JPEG (2 bytes a sample, three
    // components at most), Skia's interlaced PNG decode the image in the file's pixel format (PngRows does not).
    private static long CodecBytes(ImageFormat format, byte[] data, long pixels, bool scaled) => format switch
    {
        ImageFormat.WebP when !(data.Length >= 16 && data.AsSpan(12, 4).SequenceEqual("VP8 "u8)) => 4 * pixels,
        ImageFormat.Jpeg when Progressive(data) => 6 * pixels,
        ImageFormat.Png when !scaled && data.Length > 28 && data[28] == 1 => pixels * ((PngChannels(data[25]) * data[24] + 7) / 8),
        _ => 0,
    };

    private static int PngChannels(byte colorType) => colorType switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 };

    /// <summary>Whether the frame header before the first scan is progressive (SOF2, SOF6, SOF10, SOF14).</summary>
    private static bool Progressive(ReadOnlySpan<byte> jpeg)
    {
        for (int pos = 2; pos + 4 <= jpeg.Length;)
        {
            if (jpeg[pos] != 0xFF) return false;
            byte marker = jpeg[pos + 1];
            if (marker == 0xFF) { pos++; continue; }                                          // fill byte
            if (marker is 0x01 or 0xD8 or (>= 0xD0 and <= 0xD7)) { pos += 2; continue; }    // no length
            if (marker == 0xDA) return false;                                                 // start of scan
            if (marker is 0xC2 or 0xC6 or 0xCA or 0xCE) return true;
            pos += 2 + System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(jpeg[(pos + 2)..]);
        }
        return false;
    }
}
