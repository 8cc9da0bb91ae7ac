using UnimoG.TestSupport;
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

/// <summary>The mini training's image tensors: CLIP pixel values equal the CLIP image processor's at 64 pixels.</summary>
public class ImagesTests
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
        TensorAssert.Close(expected, actual, rtol: 0, atol: 1e-6, what: "pixel values");
    }
}
