using System.Buffers.Binary;
using SkiaSharp;

namespace UnimoG.Imaging;

/// <summary>
/// The EXIF orientation tag of a PNG's <c>eXIf</c> chunk. Skia reads EXIF from JPEG and WebP only; PIL's
/// <c>exif_transpose</c> (used by transformers' <c>load_image</c>) honours PNG's too.
/// </summary>
internal static class ExifOrientation
{
    public static SKEncodedOrigin FromPng(ReadOnlySpan<byte> png)
    {
        int pos = 8; // after the signature
        while (pos + 12 <= png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png[pos..]);
            var type = png.Slice(pos + 4, 4);
            if (length < 0 || pos + 12L + length > png.Length) break;
            if (type.SequenceEqual("eXIf"u8)) return FromTiff(png.Slice(pos + 8, length));
            if (type.SequenceEqual("IDAT"u8) || type.SequenceEqual("IEND"u8)) break; // eXIf precedes the image data
            pos += 12 + length;
        }
        return SKEncodedOrigin.TopLeft;
    }

    /// <summary>Tag 0x0112 of IFD0 in a TIFF-structured EXIF block; top-left when absent or invalid.</summary>
    public static SKEncodedOrigin FromTiff(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8) return SKEncodedOrigin.TopLeft;
        bool little = tiff[0] == 'I' && tiff[1] == 'I';
        if (!little && !(tiff[0] == 'M' && tiff[1] == 'M')) return SKEncodedOrigin.TopLeft;
        uint ifd = U32(tiff, 4, little);
        if (ifd > tiff.Length - 2) return SKEncodedOrigin.TopLeft;
        int count = U16(tiff, (int)ifd, little);
        for (int i = 0; i < count; i++)
        {
            int entry = (int)ifd + 2 + 12 * i;
            if (entry + 12 > tiff.Length) break;
            if (U16(tiff, entry, little) == 0x0112 && U16(tiff, entry + 2, little) == 3) // Orientation, SHORT
            {
                int value = U16(tiff, entry + 8, little);
                return value is >= 1 and <= 8 ? (SKEncodedOrigin)value : SKEncodedOrigin.TopLeft;
            }
        }
        return SKEncodedOrigin.TopLeft;
    }

    private static uint U32(ReadOnlySpan<byte> b, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(b[at..]) : BinaryPrimitives.ReadUInt32BigEndian(b[at..]);

    private static ushort U16(ReadOnlySpan<byte> b, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(b[at..]) : BinaryPrimitives.ReadUInt16BigEndian(b[at..]);
}
