namespace UnimoG.Imaging.Tests;

public class PsnrTests
{
    private static DecodedImage Image(params byte[] rgba) => new(rgba.Length / 4, 1, rgba);

    [Fact]
    public void Psnr_is_ten_log10_of_peak_squared_over_the_rgb_mean_squared_error()
    {
        // Two pixels; R, G, B differ by 10, 0, 20 and 0, 0, 0: MSE = (100 + 400) / 6; alpha differs and is ignored.
        var a = Image(10, 5, 20, 255, 0, 0, 0, 255);
        var b = Image(0, 5, 0, 0, 0, 0, 0, 255);
        Assert.Equal(10 * Math.Log10(255.0 * 255.0 * 6 / 500), Psnr.Rgb(a, b), 12);
        Assert.Equal(Psnr.Rgb(a, b), Psnr.Rgb(b, a), 12);
    }

    [Fact]
    public void Identical_images_are_infinitely_close_and_different_sizes_are_refused()
    {
        var a = Image(1, 2, 3, 255);
        Assert.Equal(double.PositiveInfinity, Psnr.Rgb(a, Image(1, 2, 3, 0)));
        var e = Assert.Throws<ArgumentException>(() => Psnr.Rgb(a, Image(1, 2, 3, 255, 1, 2, 3, 255)));
        Assert.Contains("1x1 vs 2x1", e.Message);
    }
}
