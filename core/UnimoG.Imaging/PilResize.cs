namespace UnimoG.Imaging;

/// <summary>Pillow's resampling filters, numbered as <c>PIL.Image.Resampling</c> (and transformers' <c>resample</c>).</summary>
public enum PilFilter { Lanczos = 1, Bilinear = 2, Bicubic = 3, Box = 4, Hamming = 5 }

/// <summary>
/// Resizes 8-bit images exactly as Pillow's <c>Image.resize</c> (Resample.c): separable convolution, the
/// filter widened by the scale when shrinking (antialiasing), coefficients in 22-bit fixed point, a
/// horizontal pass rounded to 8 bits, then a vertical pass. transformers' image processors resize through
/// PIL, so this is what makes <c>pixel_values</c> match them bit for bit. Skia's cubic sampling does not
/// widen its kernel when shrinking (it aliases) and rounds differently, see docs/tokenizers-and-prompts.md.
/// </summary>
public static class PilResize
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>[H, W, C] bytes to [outH, outW, C] bytes.</summary>
    public static byte[] Resize(byte[] src, int width, int height, int channels, int outWidth, int outHeight, PilFilter filter)
    {
        if (src.Length != width * height * channels)
            throw new ArgumentException($"Buffer has {src.Length} bytes, {width}x{height}x{channels} expected.", nameof(src));
        if (outWidth <= 0 || outHeight <= 0)
            throw new ArgumentOutOfRangeException(nameof(outWidth), $"Output size must be positive, got {outWidth}x{outHeight}.");
        if (outWidth == width && outHeight == height)
            return (byte[])src.Clone();

        var (support, kernel) = Kernel(filter);
        var (boundsV, kkV, ksizeV) = Coefficients(height, outHeight, support, kernel);
        byte[] current = src;
        int curW = width;
        if (outWidth != width)
        {
            // Only the source rows the vertical pass reads (Pillow's ybox_first..ybox_last).
            int first = boundsV[0], last = boundsV[2 * outHeight - 2] + boundsV[2 * outHeight - 1];
            if (outHeight == height) { first = 0; last = height; }
            var (boundsH, kkH, ksizeH) = Coefficients(width, outWidth, support, kernel);
            var temp = new byte[outWidth * (last - first) * channels];
            for (int y = 0; y < last - first; y++)
            {
                int rowIn = (y + first) * width * channels, rowOut = y * outWidth * channels;
                for (int x = 0; x < outWidth; x++)
                    Convolve(src, rowIn + boundsH[2 * x] * channels, channels, boundsH[2 * x + 1],
                        kkH.AsSpan(x * ksizeH, ksizeH), temp, rowOut + x * channels, channels);
            }
            for (int i = 0; i < outHeight; i++) boundsV[2 * i] -= first;
            current = temp;
            curW = outWidth;
        }
        if (outHeight == height && current != src)
            return current;

        var dst = new byte[outWidth * outHeight * channels];
        int stride = curW * channels;
        for (int y = 0; y < outHeight; y++)
        {
            int start = boundsV[2 * y] * stride, count = boundsV[2 * y + 1];
            var weights = kkV.AsSpan(y * ksizeV, ksizeV);
            for (int x = 0; x < curW; x++)
                Convolve(current, start + x * channels, stride, count, weights, dst, (y * outWidth + x) * channels, channels);
        }
        return dst;
    }

    // One output pixel: sum over taps k of input[start + k * step + c] * weights[k], rounded from fixed point.
    private static void Convolve(byte[] input, int start, int step, int count, ReadOnlySpan<int> weights, byte[] output, int at, int channels)
    {
        const int Half = 1 << (PrecisionBits - 1);
        if (channels == 3)
        {
            int s0 = Half, s1 = Half, s2 = Half;
            for (int k = 0, i = start; k < count; k++, i += step)
            {
                int w = weights[k];
                s0 += input[i] * w;
                s1 += input[i + 1] * w;
                s2 += input[i + 2] * w;
            }
            output[at] = Clip8(s0);
            output[at + 1] = Clip8(s1);
            output[at + 2] = Clip8(s2);
            return;
        }
        for (int c = 0; c < channels; c++)
        {
            int ss = Half;
            for (int k = 0, i = start + c; k < count; k++, i += step)
                ss += input[i] * weights[k];
            output[at + c] = Clip8(ss);
        }
    }

    private static byte Clip8(int value)
    {
        int v = value >> PrecisionBits; // arithmetic shift: floor, as Pillow's lookup index
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    // Pillow's precompute_coeffs + normalize_coeffs_8bpc: for each output pixel, the first source index,
    // the tap count and the fixed-point weights.
    private static (int[] Bounds, int[] Weights, int KSize) Coefficients(int inSize, int outSize, double support, Func<double, double> kernel)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        support *= filterScale;
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[2 * outSize];
        var weights = new int[outSize * ksize];
        var k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale, ww = 0.0;
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            for (int x = 0; x < xmax; x++)
            {
                k[x] = kernel((x + xmin - center + 0.5) * ss);
                ww += k[x];
            }
            for (int x = 0; x < xmax; x++)
            {
                double w = ww != 0.0 ? k[x] / ww : k[x];
                weights[xx * ksize + x] = (int)(w < 0 ? -0.5 + w * (1 << PrecisionBits) : 0.5 + w * (1 << PrecisionBits));
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = xmax;
        }
        return (bounds, weights, ksize);
    }

    private static (double Support, Func<double, double> Kernel) Kernel(PilFilter filter) => filter switch
    {
        PilFilter.Box => (0.5, x => x > -0.5 && x <= 0.5 ? 1.0 : 0.0),
        PilFilter.Bilinear => (1.0, x => Math.Abs(x) < 1.0 ? 1.0 - Math.Abs(x) : 0.0),
        PilFilter.Hamming => (1.0, Hamming),
        PilFilter.Bicubic => (2.0, Bicubic),
        PilFilter.Lanczos => (3.0, x => -3.0 <= x && x < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0),
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unsupported resampling filter."),
    };

    // Keys' cubic convolution with a = -0.5 (Catmull-Rom).
    private static double Bicubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    private static double Hamming(double x)
    {
        x = Math.Abs(x);
        if (x == 0.0) return 1.0;
        if (x >= 1.0) return 0.0;
        x *= Math.PI;
        return Math.Sin(x) / x * (0.54 + 0.46 * Math.Cos(x));
    }

    private static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }
}
