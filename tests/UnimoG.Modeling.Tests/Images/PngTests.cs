using SkiaSharp;
using UnimoG.Modeling.Images;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Images;

public class PngTests
{
    /// <summary>diffusers' postprocess + numpy_to_pil for one value, in float32: round((x / 2 + 0.5).clamp(0, 1) * 255), half to even.</summary>
    private static byte Expected(float x) => (byte)MathF.Round(Math.Clamp(x / 2f + 0.5f, 0f, 1f) * 255f, MidpointRounding.ToEven);

    [Fact]
    public void Rounds_like_diffusers_numpy_to_PIL()
    {
        // -1 -> 0, 1 -> 255, 0 -> 127.5 -> 128 (half to even), out of range clamps.
        using var image = tensor(new float[] { -1, 1, 0, -3, 2, 0.2f }).reshape(3, 1, 2);
        var rgba = Png.ToRgba(image);
        Assert.Equal(new byte[] { 0, 128, 255, 255, 255, 0, 153, 255 }, rgba);   // R[-1, 1], G[0, -3], B[2, 0.2]
        Assert.Equal(128, Expected(0f));
        Assert.Equal(51, Expected(-0.6f));
    }

    [Fact]
    public void Halfway_values_round_to_even()
    {
        // x = 2 * (k + 0.5) / 255 - 1 lands on .5 (up to float rounding); compare with the float32 formula.
        var values = Enumerable.Range(0, 255).Select(k => 2f * (k + 0.5f) / 255f - 1f).ToArray();
        using var image = tensor(values.Concat(values).Concat(values).ToArray()).reshape(3, 1, 255);
        var rgba = Png.ToRgba(image);
        for (var k = 0; k < 255; k++) Assert.Equal(Expected(values[k]), rgba[4 * k]);
    }

    [Fact]
    public void Encoded_PNG_decodes_to_the_expected_pixels()
    {
        var g = new TorchSharp.torch.Generator(9);
        using var image = (rand([3, 5, 7], generator: g) * 2.2 - 1.1);
        var png = Png.Encode(image);
        using var bitmap = SKBitmap.Decode(png, new SKImageInfo(7, 5, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        Assert.Equal(7, bitmap.Width);
        Assert.Equal(5, bitmap.Height);
        var values = image.data<float>().ToArray();                                           // [3, 5, 7]
        for (var y = 0; y < 5; y++)
        for (var x = 0; x < 7; x++)
        {
            var p = bitmap.GetPixel(x, y);
            Assert.Equal(Expected(values[0 * 35 + y * 7 + x]), p.Red);
            Assert.Equal(Expected(values[1 * 35 + y * 7 + x]), p.Green);
            Assert.Equal(Expected(values[2 * 35 + y * 7 + x]), p.Blue);
            Assert.Equal(255, p.Alpha);
        }
    }

    [Fact]
    public void Rejects_tensors_that_are_not_images()
    {
        using var gray = zeros(1, 4, 4);
        Assert.Contains("[3, H, W]", Assert.Throws<ArgumentException>(() => Png.Encode(gray)).Message);
    }
}
