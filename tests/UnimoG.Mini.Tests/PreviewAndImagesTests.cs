using System.Text.Json;
using TorchSharp;
using UnimoG.Mini.Data;
using UnimoG.Mini.Training;
using UnimoG.Mini.Vae;
using UnimoG.Modeling.Images;
using static TorchSharp.torch;
using UnimoG.Imaging;
using UnimoG.Data.Config;

namespace UnimoG.Mini.Tests;

public class PreviewAndImagesTests
{
    [Fact]
    public void Least_squares_recovers_exact_linear_factors()
    {
        // Images whose 4x4 block means are exactly latent * M + bias: the fit must return M and bias.
        var g = new Generator(1);
        using var latents = torch.randn([3, 4, 5, 5], generator: g);
        double[][] m = [[0.5, -0.2, 0.1], [0.0, 0.3, -0.4], [-0.25, 0.1, 0.2], [0.05, 0.05, 0.6]];
        double[] bias = [0.1, -0.05, 0.2];
        var truth = new PreviewFactors { Factors = m, Bias = bias };
        using var small = truth.Apply(latents);                                     // [3, 3, 5, 5]
        using var images = small.repeat_interleave(4, 2).repeat_interleave(4, 3);   // constant 4x4 blocks
        var fit = PreviewFactors.Fit(latents, images);
        for (var c = 0; c < 4; c++)
            for (var k = 0; k < 3; k++) Assert.Equal(m[c][k], fit.Factors[c][k], 5);
        for (var k = 0; k < 3; k++) Assert.Equal(bias[k], fit.Bias[k], 5);
        Assert.True(fit.FitRmse < 1e-5);
        var json = JsonDocument.Parse(JsonSerializer.Serialize(fit)).RootElement;
        Assert.Equal(4, json.GetProperty("latent_rgb_factors").GetArrayLength());
        Assert.Equal(3, json.GetProperty("latent_rgb_bias").GetArrayLength());
    }

    [Fact]
    public void Clip_pixels_equal_the_64_pixel_clip_image_processor()
    {
        var rgb = new byte[64 * 64 * 3];
        for (var i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 37 % 251);
        var rgba = new byte[64 * 64 * 4];
        for (var i = 0; i < 64 * 64; i++) { rgba[i * 4] = rgb[i * 3]; rgba[i * 4 + 1] = rgb[i * 3 + 1]; rgba[i * 4 + 2] = rgb[i * 3 + 2]; rgba[i * 4 + 3] = 255; }
        var image = ImageDecoder.Decode(PngEncoder.EncodeRgba(rgba, 64, 64), new ImageLimits());
        var processor = new ClipImageProcessor(ConfigJson.Parse<ClipImageProcessorConfig>(MiniConfigs.PreprocessorJson, "preprocessor_config.json"));
        using var expected = processor.PixelValues([image]);
        using var actual = Images.ClipPixels(Images.ToUint8([rgb]));
        Assert.Equal(expected.shape, actual.shape);
        Assert.True((expected - actual).abs().max().item<float>() < 1e-6f);
    }

    [Fact]
    public void Square_on_white_centres_the_masked_box()
    {
        // A 4x4 image: box [1, 3) x [0, 4) (2 wide, 4 tall); only pixel (1, 1) and (2, 3) are in the mask.
        var rgb = Enumerable.Range(0, 4 * 4 * 3).Select(i => (byte)(i + 1)).ToArray();
        var mask = new byte[4 * 4 * 4];
        mask[(1 * 4 + 1) * 4 + 3] = 200;
        mask[(3 * 4 + 2) * 4 + 3] = 128;
        var square = EntityImages.SquareOnWhite(rgb, mask, 4, 1, 0, 3, 4);
        Assert.Equal(64 * 64 * 3, square.Length);
        // Before resizing to 64x64 the square is 4x4 (the box's taller side) with the 2-wide box at x offset 1:
        // box column 0 (image x 1) lands at x 1, box column 1 (image x 2) at x 2; everything else is white.
        var expected = Enumerable.Repeat((byte)255, 4 * 4 * 3).ToArray();
        Array.Copy(rgb, (1 * 4 + 1) * 3, expected, (1 * 4 + 1) * 3, 3);
        Array.Copy(rgb, (3 * 4 + 2) * 3, expected, (3 * 4 + 2) * 3, 3);
        Assert.Equal(PilResize.Resize(expected, 4, 4, 3, 64, 64, PilFilter.Bicubic), square);
    }

    [Fact]
    public void Learning_rate_warms_up_linearly_then_follows_a_cosine_to_its_floor()
    {
        var s = new LrSchedule(1.0, WarmupSteps: 10, TotalSteps: 110, MinRatio: 0.1);
        Assert.Equal(0.1, s.At(0), 12);
        Assert.Equal(1.0, s.At(9), 12);
        Assert.Equal(1.0, s.At(10), 12);
        Assert.Equal(0.1 + 0.9 * 0.5, s.At(60), 12);       // half-way: cos(pi/2) = 0
        Assert.Equal(0.1, s.At(110), 12);
        Assert.Equal(0.1, s.At(500), 12);
    }

    [Fact]
    public void Step_randomness_depends_on_seed_stream_and_step_only()
    {
        Assert.Equal(StepRandom.Data(1, "a", 5).NextUInt64(), StepRandom.Data(1, "a", 5).NextUInt64());
        Assert.NotEqual(StepRandom.Data(1, "a", 5).NextUInt64(), StepRandom.Data(1, "a", 6).NextUInt64());
        Assert.NotEqual(StepRandom.Data(1, "a", 5).NextUInt64(), StepRandom.Data(1, "b", 5).NextUInt64());
        Assert.NotEqual(StepRandom.Data(1, "a", 5).NextUInt64(), StepRandom.Data(2, "a", 5).NextUInt64());
        using var x = torch.randn([4], generator: StepRandom.Torch(1, "a", 5));
        using var y = torch.randn([4], generator: StepRandom.Torch(1, "a", 5));
        Assert.True(x.equal(y).all().item<bool>());
    }
}
