using System.Buffers.Binary;
using System.IO.Compression;

namespace UnimoG.Imaging;

/// <summary>
/// A PNG's pixels row by row as 8-bit straight RGBA, never the whole image: the scaled decoding path, because Skia's
/// PNG codec has no scanline decoding (<c>StartScanlineDecode</c> answers Unimplemented). Chunk CRCs are checked, the
/// IDAT data is inflated as one stream, rows are unfiltered and converted as Skia converts them: every colour type and
/// bit depth, 16-bit samples to their high byte, low bit depths scaled to 0..255, tRNS keys and palette alpha. Adam7
/// passes come as rows of every dx-th pixel. Call only on a file whose header <see cref="ImageDecoder"/> accepted.
/// </summary>
internal static class PngRows
{
    public delegate void RowHandler(int y, int x0, int dx, ReadOnlySpan<byte> rgba);

    private sealed record Header(int Width, int Height, int BitDepth, int ColorType, bool Interlaced)
    {
        public int Channels => ColorType switch { 0 or 3 => 1, 2 => 3, 4 => 2, _ => 4 };
        public int BitsPerPixel => Channels * BitDepth;
    }

    // Adam7: first column, first row, column step, row step of each pass.
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static void Read(byte[] png, RowHandler handler)
    {
        var (header, palette, key, idat) = Chunks(png);
        using var inflated = new ZLibStream(new SegmentStream(png, idat), CompressionMode.Decompress);
        (int, int, int, int)[] passes = header.Interlaced ? Adam7 : [(0, 0, 1, 1)];
        int bpp = Math.Max(1, header.BitsPerPixel / 8);
        foreach (var (x0, y0, dx, dy) in passes)
        {
            int width = (header.Width - x0 + dx - 1) / dx, height = (header.Height - y0 + dy - 1) / dy;
            if (width <= 0 || height <= 0) continue; // an empty pass has no rows, not even filter bytes
            int stride = (width * header.BitsPerPixel + 7) / 8;
            byte[] line = new byte[stride + 1], prior = new byte[stride + 1], rgba = new byte[4 * width];
            for (int j = 0; j < height; j++)
            {
                ReadLine(inflated, line, png.Length);
                Unfilter(line[0], line.AsSpan(1), prior.AsSpan(1), bpp);
                Convert(header, line.AsSpan(1), rgba, palette, key);
                handler(y0 + j * dy, x0, dx, rgba);
                (line, prior) = (prior, line);
            }
        }
    }

    private static (Header, byte[] Palette, int[]? Key, List<(int Offset, int Length)> Idat) Chunks(byte[] png)
    {
        Header? header = null;
        var palette = new byte[256 * 4];
        int colours = 0;
        int[]? key = null;
        var idat = new List<(int, int)>();
        for (int pos = 8; pos + 8 <= png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            var type = png.AsSpan(pos + 4, 4);
            if (length < 0) throw ImageDecoder.Corrupt(ImageFormat.Png, "a chunk length is negative");
            if (pos + 12L + length > png.Length)
            {
                // Cut short: what is there of the pixel data is used, and inflating it runs out (truncated).
                if (type.SequenceEqual("IDAT"u8)) idat.Add((pos + 8, Math.Max(0, png.Length - pos - 8)));
                break;
            }
            var data = png.AsSpan(pos + 8, length);
            if (Crc(png.AsSpan(pos + 4, 4 + length)) != BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length)))
                throw ImageDecoder.Corrupt(ImageFormat.Png, $"bad CRC in chunk {System.Text.Encoding.ASCII.GetString(type)}");
            if (type.SequenceEqual("IHDR"u8)) header = ReadHeader(data);
            else if (type.SequenceEqual("PLTE"u8) && header is { } p)
            {
                // libpng's rules, which Skia follows: entries beyond 2^depth are dropped, opaque until tRNS says otherwise.
                colours = Math.Min(length / 3, p.ColorType == 3 ? 1 << p.BitDepth : 256);
                for (int i = 0; i < colours; i++) (palette[4 * i], palette[4 * i + 1], palette[4 * i + 2], palette[4 * i + 3]) = (data[3 * i], data[3 * i + 1], data[3 * i + 2], 255);
            }
            else if (type.SequenceEqual("tRNS"u8) && header is { ColorType: 3 } && length > 0 && length <= colours)
                for (int i = 0; i < length; i++) palette[4 * i + 3] = data[i]; // a tRNS longer than the palette is ignored
            else if (type.SequenceEqual("tRNS"u8) && header is { ColorType: 0 or 2 } h && length >= 2 * h.Channels)
            {
                key = new int[h.Channels];
                for (int c = 0; c < key.Length; c++) key[c] = BinaryPrimitives.ReadUInt16BigEndian(data[(2 * c)..]);
            }
            else if (type.SequenceEqual("IDAT"u8)) idat.Add((pos + 8, length));
            else if (type.SequenceEqual("IEND"u8)) break;
            pos += 12 + length;
        }
        if (header is null) throw ImageDecoder.Corrupt(ImageFormat.Png, "no IHDR chunk");
        // Indices past the palette take its last colour (opaque black without one), as Skia pads its colour table.
        if (colours == 0) palette[3] = 255;
        for (int i = Math.Max(colours, 1); i < 256; i++)
            palette.AsSpan(4 * Math.Max(colours - 1, 0), 4).CopyTo(palette.AsSpan(4 * i));
        return (header, palette, key, idat);
    }

    private static Header ReadHeader(ReadOnlySpan<byte> d)
    {
        if (d.Length < 13) throw ImageDecoder.Corrupt(ImageFormat.Png, "IHDR is too short");
        var h = new Header(BinaryPrimitives.ReadInt32BigEndian(d), BinaryPrimitives.ReadInt32BigEndian(d[4..]), d[8], d[9], d[12] == 1);
        bool valid = h.ColorType switch
        {
            0 => h.BitDepth is 1 or 2 or 4 or 8 or 16,
            3 => h.BitDepth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => h.BitDepth is 8 or 16,
            _ => false,
        };
        if (!valid || h.Width <= 0 || h.Height <= 0 || d[12] > 1)
            throw ImageDecoder.Corrupt(ImageFormat.Png, $"unsupported IHDR (colour type {h.ColorType}, {h.BitDepth} bits, interlace {d[12]})");
        return h;
    }

    private static void ReadLine(Stream inflated, byte[] line, int fileLength)
    {
        int got;
        try
        {
            got = inflated.ReadAtLeast(line, line.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw ImageDecoder.Corrupt(ImageFormat.Png, e.Message);
        }
        if (got < line.Length) throw ImageDecoder.Truncated(ImageFormat.Png, fileLength);
    }

    private static void Unfilter(byte filter, Span<byte> line, ReadOnlySpan<byte> prior, int bpp)
    {
        switch (filter)
        {
            case 0: break;
            case 1: for (int i = bpp; i < line.Length; i++) line[i] += line[i - bpp]; break;
            case 2: for (int i = 0; i < line.Length; i++) line[i] += prior[i]; break;
            case 3:
                for (int i = 0; i < line.Length; i++) line[i] += (byte)(((i >= bpp ? line[i - bpp] : 0) + prior[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < line.Length; i++)
                    line[i] += i >= bpp ? Paeth(line[i - bpp], prior[i], prior[i - bpp]) : prior[i];
                break;
            default: throw ImageDecoder.Corrupt(ImageFormat.Png, $"unknown row filter {filter}");
        }
    }

    private static byte Paeth(byte a, byte b, byte c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void Convert(Header h, ReadOnlySpan<byte> line, Span<byte> rgba, byte[] palette, int[]? key)
    {
        int n = rgba.Length / 4, depth = h.BitDepth, wide = depth == 16 ? 2 : 1;
        switch (h.ColorType)
        {
            case 0:
                int scale = depth < 8 ? 255 / ((1 << depth) - 1) : 1;
                for (int i = 0, o = 0; i < n; i++, o += 4)
                {
                    int g = Sample(line, i, depth);
                    rgba[o] = rgba[o + 1] = rgba[o + 2] = depth == 16 ? line[2 * i] : (byte)(g * scale);
                    rgba[o + 3] = key is not null && key[0] == g ? (byte)0 : (byte)255;
                }
                break;
            case 3:
                for (int i = 0; i < n; i++) palette.AsSpan(4 * Sample(line, i, depth), 4).CopyTo(rgba[(4 * i)..]);
                break;
            case 2:
                for (int i = 0, o = 0; i < n; i++, o += 4)
                {
                    for (int c = 0; c < 3; c++) rgba[o + c] = line[wide * (3 * i + c)];
                    rgba[o + 3] = key is not null && key[0] == Sample(line, 3 * i, depth) && key[1] == Sample(line, 3 * i + 1, depth)
                                  && key[2] == Sample(line, 3 * i + 2, depth) ? (byte)0 : (byte)255;
                }
                break;
            case 4:
                for (int i = 0, o = 0; i < n; i++, o += 4)
                {
                    rgba[o] = rgba[o + 1] = rgba[o + 2] = line[wide * 2 * i];
                    rgba[o + 3] = line[wide * (2 * i + 1)];
                }
                break;
            default:
                if (depth == 8) line[..rgba.Length].CopyTo(rgba);
                else for (int i = 0; i < rgba.Length; i++) rgba[i] = line[2 * i];
                break;
        }
    }

    /// <summary>Sample <paramref name="i"/> of a row at its own bit depth (big-endian, packed from the high bits).</summary>
    private static int Sample(ReadOnlySpan<byte> line, int i, int depth) => depth switch
    {
        16 => BinaryPrimitives.ReadUInt16BigEndian(line[(2 * i)..]),
        8 => line[i],
        _ => (line[i * depth >> 3] >> (8 - depth - (i * depth & 7))) & ((1 << depth) - 1),
    };

    private static uint Crc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    /// <summary>The IDAT chunks' data as one stream, read in place.</summary>
    private sealed class SegmentStream(byte[] png, List<(int Offset, int Length)> segments) : Stream
    {
        private int _segment, _at;

        public override int Read(Span<byte> buffer)
        {
            for (; _segment < segments.Count; _segment++, _at = 0)
            {
                var (offset, length) = segments[_segment];
                if (_at >= length) continue;
                int n = Math.Min(buffer.Length, length - _at);
                png.AsSpan(offset + _at, n).CopyTo(buffer);
                _at += n;
                return n;
            }
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
