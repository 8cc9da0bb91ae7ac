using UnimoG.Imaging;
using UnimoG.Modeling.Images;
using UnimoG.TestSupport;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Tests.Images;

public class ClipImageProcessorTests
{
    [Fact]
    public void A_constant_colour_gives_the_closed_form_normalised_values()
    {
        // (v / 255 - mean) / std per channel, everywhere; size 300x200 -> resize 336x224 -> crop 224x224.
        var processor = new ClipImageProcessor();
        var pixels = processor.Preprocess(DecodedImage.Solid(300, 200, 10, 200, 255));
        Assert.Equal(3 * 224 * 224, pixels.Length);
        double[] mean = [0.48145466, 0.4578275, 0.40821073], std = [0.26862954, 0.26130258, 0.27577711];
        byte[] colour = [10, 200, 255];
        for (int c = 0; c < 3; c++)
        {
            double expected = (colour[c] / 255.0 - mean[c]) / std[c];
            for (int i = c * 224 * 224; i < (c + 1) * 224 * 224; i++)
                Assert.Equal(expected, pixels[i], 1e-6);
        }
        Assert.Equal(-1.6462, pixels[0], 1e-4); // (10/255 - 0.48145466) / 0.26862954
    }

    [Fact]
    public void Normalisation_uses_float32_arithmetic_like_numpy()
    {
        var processor = new ClipImageProcessor();
        var pixels = processor.Preprocess(DecodedImage.Solid(224, 224, 128, 128, 128));
        // numpy: float32(128 * (1/255 as float64)) - float32(mean), divided by float32(std), in float32.
        float x = (float)(128 * (1 / 255.0));
        Assert.Equal((x - 0.48145466f) / 0.26862954f, pixels[0]);
        Assert.Equal((x - 0.4578275f) / 0.26130258f, pixels[224 * 224]);
    }

    [Fact]
    public void Resize_and_crop_match_pillow_with_transformers_arithmetic()
    {
        // clip_crop_32.png: PIL bicubic resize of source_61x47 to 41x32 (short side 32, long int(32*61/47)),
        // then the (H-32)//2, (W-32)//2 centre crop.
        var config = ClipImageProcessorConfig.ForImageSize(32);
        var processor = new ClipImageProcessor(config);
        var image = ImageDecoder.Decode(File.ReadAllBytes(TestImages.Data("source_61x47.png")));
        var (rgb, h, w) = processor.ResizeAndCrop(image);
        var (expected, _, _) = TestImages.ReadRgb("clip_crop_32.png");
        Assert.Equal((32, 32), (h, w));
        Assert.Equal(expected, rgb);
    }

    [Theory]
    [InlineData(300, 200, 224, 336)] // landscape: short side (height) to 224
    [InlineData(200, 300, 336, 224)]
    [InlineData(224, 224, 224, 224)]
    [InlineData(100, 333, 745, 224)] // int(224 * 333 / 100) = 745
    public void Resized_size_follows_the_shortest_edge(int width, int height, int expectedHeight, int expectedWidth)
    {
        var processor = new ClipImageProcessor(new ClipImageProcessorConfig { DoCenterCrop = false });
        Assert.Equal((expectedHeight, expectedWidth), processor.OutputSize(height, width));
    }

    [Fact]
    public void Transparent_pixels_are_composited_on_the_background()
    {
        var clear = DecodedImage.Solid(224, 224, 255, 0, 0, a: 0); // transparent red
        var onWhite = new ClipImageProcessor().Preprocess(clear);
        Assert.Equal((1 - 0.48145466) / 0.26862954, onWhite[0], 1e-6); // white
        var dropped = new ClipImageProcessor { Background = null }.Preprocess(clear);
        Assert.Equal((1 - 0.48145466) / 0.26862954, dropped[0], 1e-6); // red channel of red
        Assert.Equal((0 - 0.4578275) / 0.26130258, dropped[224 * 224], 1e-6);
    }

    [Fact]
    public void Smaller_images_are_centred_on_zeros_when_not_resized()
    {
        var config = new ClipImageProcessorConfig { DoResize = false, CropSize = new() { Height = 4, Width = 4 }, DoNormalize = false, DoRescale = false };
        var pixels = new ClipImageProcessor(config).Preprocess(DecodedImage.Solid(2, 2, 9, 9, 9));
        float[] plane = [0, 0, 0, 0, 0, 9, 9, 0, 0, 9, 9, 0, 0, 0, 0, 0];
        Assert.Equal(plane, pixels[..16]);
    }

    [Fact]
    public void Pixel_values_are_a_batch_tensor()
    {
        var processor = new ClipImageProcessor();
        using var values = processor.PixelValues([DecodedImage.Solid(300, 200, 0, 0, 0), DecodedImage.Solid(64, 640, 255, 255, 255)]);
        Assert.Equal([2L, 3, 224, 224], values.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, values.dtype);
        Assert.Equal((0 - 0.48145466) / 0.26862954, values[0, 0, 0, 0].item<float>(), 1e-6);
        Assert.Equal((1 - 0.40821073) / 0.27577711, values[1, 2, 223, 223].item<float>(), 1e-6);
    }

    [Fact]
    public void Reads_preprocessor_config_JSON()
    {
        // openai/clip-vit-large-patch14's preprocessor_config.json (newer transformers layout).
        const string json = """
            {"crop_size": {"height": 224, "width": 224}, "do_center_crop": true, "do_convert_rgb": true,
             "do_normalize": true, "do_rescale": true, "do_resize": true,
             "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "CLIPImageProcessor",
             "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3,
             "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224}}
            """;
        var config = ConfigJson.Parse<ClipImageProcessorConfig>(json, "preprocessor_config.json");
        Assert.Equal(224, config.ShortestEdge);
        Assert.Equal((224, 224), (config.CropHeight, config.CropWidth));
        Assert.Equal(PilFilter.Bicubic, config.Resample);
        Assert.Equal(0.26130258f, config.ImageStd.At(1));
        // The older layout: plain numbers.
        var old = ConfigJson.Parse<ClipImageProcessorConfig>("""{"size": 336, "crop_size": 336}""", "old");
        Assert.Equal((336, 336, 336), (old.ShortestEdge!.Value, old.CropHeight, old.CropWidth));
        Assert.Equal("resample", Assert.Throws<ConfigException>(() => ConfigJson.Parse<ClipImageProcessorConfig>("""{"resample": 0}""", "bad")).Key);
        Assert.Equal("image_std", Assert.Throws<ConfigException>(() => ConfigJson.Parse<ClipImageProcessorConfig>("""{"image_std": [1, 0, 1]}""", "bad")).Key);
        Assert.Equal("size.shortest_edge", Assert.Throws<ConfigException>(() => ConfigJson.Parse<ClipImageProcessorConfig>("""{"size": {"shortest_edge": "x"}}""", "bad")).Key);
    }
}
