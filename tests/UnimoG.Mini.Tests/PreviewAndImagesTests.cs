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
    public void CLIP_pixels_equal_the_64_pixel_CLIP_image_processor()
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
    public void The_mini_schedule_warms_up_over_a_tenth_of_the_run_then_decays_to_a_tenth()
    {
        // transformers' semantics (checked in UnimoG.Modeling.Tests): step s of w warm-up steps runs at s / w.
        var s = TrainingLoop.Schedule(steps: 110, maxWarmup: 200);
        Assert.Equal((12L, 110L, 0.1), (s.WarmupSteps, s.TotalSteps, s.MinLrRatio));
        Assert.Equal(0.0, s.Factor(0));
        Assert.Equal(11.0 / 12, s.Factor(11), 12);
        Assert.Equal(1.0, s.Factor(12), 12);
        Assert.Equal(0.1, s.Factor(110), 12);
        Assert.Equal(100, TrainingLoop.Schedule(steps: 5000, maxWarmup: 100).WarmupSteps);
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
