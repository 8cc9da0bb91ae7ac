namespace UnimoG.DataPrep.Imaging;

/// <summary>
/// Pillow's <c>Image.resize(size, BILINEAR)</c> on 8-bit RGB, reproduced to the byte: a separable triangle filter
/// whose support widens with the downscale factor (so downscaling is antialiased), fixed-point coefficients with
/// 22 fractional bits, horizontal pass then vertical pass, each rounded to 8 bits. GroundingDINO
/// (<c>T.RandomResize</c>) and SAM (<c>ResizeLongestSide.apply_image</c>) both resize through PIL this way, so their
/// preprocessing is matched exactly rather than approximately.
/// </summary>
public static class PilResize
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes the RGB channels of <paramref name="image"/>; returns [outH, outW, 3] bytes.</summary>
    public static byte[] BilinearRgb(RgbaImage image, int outWidth, int outHeight)
    {
        if (outWidth <= 0 || outHeight <= 0)
            throw new ArgumentOutOfRangeException(nameof(outWidth), $"target size {outWidth}x{outHeight} must be positive");
        var (w, h) = (image.Width, image.Height);
        var rgb = new byte[w * h * 3];
        for (int i = 0, j = 0; i < w * h; i++, j += 3)
        {
            rgb[j] = image.Pixels[i * 4];
            rgb[j + 1] = image.Pixels[i * 4 + 1];
            rgb[j + 2] = image.Pixels[i * 4 + 2];
        }
        if (outWidth != w)
            rgb = Horizontal(rgb, w, h, outWidth);
        if (outHeight != h)
            rgb = Vertical(rgb, outWidth, h, outHeight);
        return rgb;
    }

    private static byte[] Horizontal(byte[] src, int inW, int h, int outW)
    {
        var (bounds, k, ksize) = Coefficients(inW, outW);
        var dst = new byte[outW * h * 3];
        for (var y = 0; y < h; y++)
        for (var xx = 0; xx < outW; xx++)
        {
            var (xmin, xmax) = (bounds[xx * 2], bounds[xx * 2 + 1]);
            for (var c = 0; c < 3; c++)
            {
                var ss = 1 << (PrecisionBits - 1);
                for (var x = 0; x < xmax; x++)
                    ss += src[(y * inW + x + xmin) * 3 + c] * k[xx * ksize + x];
                dst[(y * outW + xx) * 3 + c] = Clip8(ss);
            }
        }
        return dst;
    }

    private static byte[] Vertical(byte[] src, int w, int inH, int outH)
    {
        var (bounds, k, ksize) = Coefficients(inH, outH);
        var dst = new byte[w * outH * 3];
        for (var yy = 0; yy < outH; yy++)
        {
            var (ymin, ymax) = (bounds[yy * 2], bounds[yy * 2 + 1]);
            for (var x = 0; x < w; x++)
            for (var c = 0; c < 3; c++)
            {
                var ss = 1 << (PrecisionBits - 1);
                for (var y = 0; y < ymax; y++)
                    ss += src[((y + ymin) * w + x) * 3 + c] * k[yy * ksize + y];
                dst[(yy * w + x) * 3 + c] = Clip8(ss);
            }
        }
        return dst;
    }

    /// <summary>Pillow's <c>precompute_coeffs</c> + <c>normalize_coeffs_8bpc</c> for the bilinear (triangle) filter.</summary>
    private static (int[] Bounds, int[] K, int KSize) Coefficients(int inSize, int outSize)
    {
        const double filterSupport = 1.0;
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = filterSupport * filterScale;
        var ksize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var kk = new int[outSize * ksize];
        var k = new double[ksize];
        for (var xx = 0; xx < outSize; xx++)
        {
            var center = (xx + 0.5) * scale;
            var ss = 1.0 / filterScale;
            var xmin = (int)(center - support + 0.5);
            if (xmin < 0) xmin = 0;
            var xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            var ww = 0.0;
            for (var x = 0; x < xmax; x++)
            {
                var t = Math.Abs((x + xmin - center + 0.5) * ss);
                k[x] = t < 1.0 ? 1.0 - t : 0.0;
                ww += k[x];
            }
            for (var x = 0; x < xmax; x++)
            {
                var v = ww != 0.0 ? k[x] / ww : k[x];
                kk[xx * ksize + x] = v < 0
                    ? (int)(-0.5 + v * (1 << PrecisionBits))
                    : (int)(0.5 + v * (1 << PrecisionBits));
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return (bounds, kk, ksize);
    }

    private static byte Clip8(int v)
    {
        var s = v >> PrecisionBits;
        return (byte)(s < 0 ? 0 : s > 255 ? 255 : s);
    }
}
