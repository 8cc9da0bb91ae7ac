using System.Buffers.Binary;
using System.IO.Compression;

namespace UnimoG.TestSupport;

/// <summary>
/// PNGs written chunk by chunk (Skia's encoder makes only 8-bit RGB, RGBA and grey): any colour type and bit depth,
/// PLTE and tRNS, all five row filters in turn, Adam7 interlacing; and tiny files declaring huge blank images.
/// </summary>
public static class RawPng
{
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <param name="samples">[H, W, channels] samples at <paramref name="bitDepth"/> (0..2^depth-1).</param>
    public static byte[] Encode(int width, int height, int bitDepth, int colorType, int[] samples, bool interlace = false,
        byte[]? plte = null, byte[]? trns = null)
    {
        int channels = colorType switch { 0 or 3 => 1, 2 => 3, 4 => 2, _ => 4 };
        var raw = new MemoryStream();
        (int, int, int, int)[] passes = interlace ? Adam7 : [(0, 0, 1, 1)];
        int filter = 0;
        foreach (var (x0, y0, dx, dy) in passes)
        {
            int pw = (width - x0 + dx - 1) / dx, ph = (height - y0 + dy - 1) / dy;
            if (pw <= 0 || ph <= 0) continue;
            var prior = new byte[(pw * channels * bitDepth + 7) / 8];
            for (int j = 0; j < ph; j++)
            {
                var line = new byte[prior.Length];
                for (int i = 0; i < pw; i++)
                for (int c = 0; c < channels; c++)
                    Put(line, i * channels + c, bitDepth, samples[((y0 + j * dy) * width + x0 + i * dx) * channels + c]);
                raw.WriteByte((byte)(filter % 5));
                raw.Write(Filter(filter++ % 5, line, prior, Math.Max(1, channels * bitDepth / 8)));
                prior = line;
            }
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        (ihdr[8], ihdr[9], ihdr[12]) = ((byte)bitDepth, (byte)colorType, (byte)(interlace ? 1 : 0));
        return File(ihdr, raw.ToArray(), plte, trns);
    }

    /// <summary>
    /// A 1-bit grey PNG of <paramref name="width"/> x <paramref name="height"/>, all black but for one white pixel placed
    /// by <paramref name="seed"/> (so files differ): a couple of kilobytes that decode to width x height x 4 bytes.
    /// </summary>
    public static byte[] Blank(int width, int height, int seed = 0)
    {
        int stride = (width + 7) / 8, at = seed % (width * height);
        var z = new MemoryStream();
        using (var deflate = new ZLibStream(z, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var line = new byte[stride + 1];
            for (int y = 0; y < height; y++)
            {
                Array.Clear(line);
                if (y == at / width) line[1 + at % width / 8] = (byte)(0x80 >> (at % width % 8));
                deflate.Write(line);
            }
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 1;
        return File(ihdr, null, null, null, z.ToArray());
    }

    private static byte[] File(byte[] ihdr, byte[]? raw, byte[]? plte, byte[]? trns, byte[]? compressed = null)
    {
        if (compressed is null)
        {
            var z = new MemoryStream();
            using (var deflate = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) deflate.Write(raw);
            compressed = z.ToArray();
        }
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", ihdr);
        if (plte is not null) Chunk(png, "PLTE", plte);
        if (trns is not null) Chunk(png, "tRNS", trns);
        // Two IDAT chunks: readers must join them.
        Chunk(png, "IDAT", compressed[..(compressed.Length / 2)]);
        Chunk(png, "IDAT", compressed[(compressed.Length / 2)..]);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Put(byte[] line, int index, int depth, int value)
    {
        if (depth == 16) BinaryPrimitives.WriteUInt16BigEndian(line.AsSpan(2 * index), (ushort)value);
        else if (depth == 8) line[index] = (byte)value;
        else line[index * depth / 8] |= (byte)(value << (8 - depth - index * depth % 8));
    }

    private static byte[] Filter(int type, byte[] line, byte[] prior, int bpp)
    {
        var output = new byte[line.Length];
        for (int i = 0; i < line.Length; i++)
        {
            int a = i >= bpp ? line[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
            int predictor = type switch
            {
                1 => a,
                2 => b,
                3 => (a + b) >> 1,
                4 => Paeth(a, b, c),
                _ => 0,
            };
            output[i] = (byte)(line[i] - predictor);
        }
        return output;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        Span<byte> be = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(be, data.Length);
        png.Write(be);
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(be, TestImages.Crc32(typed));
        png.Write(be);
    }
}
