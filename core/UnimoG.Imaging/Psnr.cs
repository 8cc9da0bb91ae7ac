namespace UnimoG.Imaging;

/// <summary>Peak signal-to-noise ratio of two 8-bit images of one size: 10 log10(255^2 / MSE) over R, G and B.</summary>
public static class Psnr
{
    /// <returns>dB; +infinity for identical pixels</returns>
    public static double Rgb(DecodedImage a, DecodedImage b)
    {
        if (a.Width != b.Width || a.Height != b.Height)
            throw new ArgumentException($"images differ in size: {a.Width}x{a.Height} vs {b.Width}x{b.Height}");
        double sum = 0;
        long n = 0;
        for (var i = 0; i < a.Rgba.Length; i++)
        {
            if (i % 4 == 3) continue;   // alpha
            var d = a.Rgba[i] - b.Rgba[i];
            sum += d * d;
            n++;
        }
        return sum == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / (sum / n));
    }
}
