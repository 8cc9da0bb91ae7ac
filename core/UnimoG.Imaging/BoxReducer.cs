namespace UnimoG.Imaging;

/// <summary>
/// Shrinks RGBA rows by whole factors as they are decoded: each output pixel is the mean of its
/// <c>fx x fy</c> block (blocks at the right and bottom edges are smaller, as Pillow's <c>Image.reduce</c>).
/// Colours are averaged weighted by alpha, so compositing the result over a background equals the mean of the
/// composited pixels (what the CLIP processor, which composites first, would have averaged); a fully transparent
/// block keeps the plain mean of its stored colours. Only one row of blocks is held for top-down rows; Adam7
/// passes (<paramref name="wholeImage"/>) need sums for the whole output.
/// </summary>
internal sealed class BoxReducer
{
    private const int Sums = 7; // r*a, g*a, b*a, a, r, g, b
    private readonly int _width, _height, _fx, _fy;
    private readonly bool _wholeImage;
    private readonly int[] _sums;
    private readonly byte[] _output;
    private int _blockRow = -1;

    public BoxReducer(int width, int height, int fx, int fy, bool wholeImage)
    {
        if (fx is < 1 or > ScaledDecoding.MaxFactor || fy is < 1 or > ScaledDecoding.MaxFactor)
            throw new ArgumentOutOfRangeException(nameof(fx), $"Factors must be 1..{ScaledDecoding.MaxFactor}, got {fx}x{fy}.");
        (_width, _height, _fx, _fy, _wholeImage) = (width, height, fx, fy, wholeImage);
        Width = (width + fx - 1) / fx;
        Height = (height + fy - 1) / fy;
        _sums = new int[Sums * Width * (wholeImage ? Height : 1)];
        _output = new byte[checked(4 * Width * Height)];
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Bytes of block sums for an output of this size.</summary>
    public static long SumBytes(int outWidth, int outHeight, bool wholeImage) => 4L * Sums * outWidth * (wholeImage ? outHeight : 1);

    /// <summary>
    /// Adds the pixels of row <paramref name="y"/> at x = <paramref name="x0"/>, x0 + dx, ... (dx = 1 for a whole row).
    /// Without <c>wholeImage</c>, rows must come top-down.
    /// </summary>
    public void Add(int y, int x0, int dx, ReadOnlySpan<byte> rgba)
    {
        int blockRow = y / _fy, at = 0;
        if (_wholeImage)
            at = blockRow * Width * Sums;
        else if (blockRow != _blockRow)
        {
            if (_blockRow >= 0) Emit(_blockRow, 0);
            Array.Clear(_sums);
            _blockRow = blockRow;
        }
        var sums = _sums;
        for (int p = 0, x = x0; p < rgba.Length;)
        {
            // The pixels of this row that fall in block x / fx, summed locally first.
            int block = x / _fx, end = Math.Min(rgba.Length, p + 4 * (((block + 1) * _fx - x + dx - 1) / dx));
            int ra = 0, ga = 0, ba = 0, aa = 0, rr = 0, gg = 0, bb = 0;
            for (; p < end; p += 4, x += dx)
            {
                int r = rgba[p], g = rgba[p + 1], b = rgba[p + 2], a = rgba[p + 3];
                ra += r * a; ga += g * a; ba += b * a; aa += a;
                rr += r; gg += g; bb += b;
            }
            int s = at + block * Sums;
            sums[s] += ra; sums[s + 1] += ga; sums[s + 2] += ba; sums[s + 3] += aa;
            sums[s + 4] += rr; sums[s + 5] += gg; sums[s + 6] += bb;
        }
    }

    /// <summary>The reduced image, [Height, Width, 4].</summary>
    public byte[] Finish()
    {
        if (_wholeImage)
            for (int by = 0; by < Height; by++) Emit(by, by * Width * Sums);
        else if (_blockRow >= 0)
            Emit(_blockRow, 0);
        return _output;
    }

    private void Emit(int blockRow, int at)
    {
        int rows = Math.Min(_fy, _height - blockRow * _fy);
        for (int ox = 0; ox < Width; ox++)
        {
            int n = Math.Min(_fx, _width - ox * _fx) * rows, s = at + ox * Sums, o = 4 * (blockRow * Width + ox);
            int alpha = _sums[s + 3];
            for (int c = 0; c < 3; c++)
                _output[o + c] = (byte)(alpha > 0 ? (_sums[s + c] + alpha / 2) / alpha : (_sums[s + 4 + c] + n / 2) / n);
            _output[o + 3] = (byte)((alpha + n / 2) / n);
        }
    }
}
