using TorchSharp;
using UnimoG.Imaging;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Images;

/// <summary>
/// CLIP image preprocessing as transformers' <c>CLIPImageProcessor</c>: RGB (alpha composited over
/// <see cref="Background"/>), resize (shortest edge, Pillow-exact <see cref="PilResize"/>), centre crop
/// (zero padding when the image is smaller), rescale, normalise, channels first.
/// </summary>
public sealed class ClipImageProcessor(ClipImageProcessorConfig config)
{
    public ClipImageProcessorConfig Config { get; } = config;

    /// <summary>
    /// Colour under transparent pixels: white by default (what newer transformers' <c>convert_rgb</c> does);
    /// null drops alpha and keeps the stored colours (transformers 4.37's <c>image.convert("RGB")</c>).
    /// </summary>
    public Rgb? Background { get; init; } = Rgb.White;

    public ClipImageProcessor() : this(new ClipImageProcessorConfig()) { }

    /// <summary>Output size (height, width) of <see cref="Preprocess"/> for an image of this size.</summary>
    public (int Height, int Width) OutputSize(int height, int width)
    {
        var (h, w) = ResizedSize(height, width);
        return Config.DoCenterCrop ? (Config.CropHeight, Config.CropWidth) : (h, w);
    }

    /// <summary>
    /// For the decoder: images are resized to <see cref="ResizedSize"/>, so one at least four times larger per side may be
    /// reduced while decoding (reducing gap 2, docs/imaging.md); null when this processor does not resize.
    /// </summary>
    public ScaledDecoding? Scaling => Config.DoResize
        ? new ScaledDecoding((width, height) =>
        {
            var (h, w) = ResizedSize(height, width);
            return (w, h);
        })
        : null;

    /// <summary>Bytes <see cref="Preprocess"/> allocates for an image of this size: RGB copy, both resize passes, crop, floats.</summary>
    public long WorkingBytes(int height, int width)
    {
        var (h, w) = ResizedSize(height, width);
        var (oh, ow) = OutputSize(height, width);
        return 3L * height * width + 3L * w * height + 3L * w * h + 3L * oh * ow + 2 * 12L * oh * ow;
    }

    /// <summary>[3, H, W] float32 <c>pixel_values</c> of one image (channel-first, row-major).</summary>
    public float[] Preprocess(DecodedImage image)
    {
        var (rgb, height, width) = ResizeAndCrop(image);
        OneOrList<float> mean = Config.DoNormalize ? Config.ImageMean : 0f;
        OneOrList<float> std = Config.DoNormalize ? Config.ImageStd : 1f;
        var output = new float[3 * height * width];
        int plane = height * width;
        for (int i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++)
        {
            // numpy: uint8 -> float64 * factor -> float32, then (x - mean) / std in float32.
            float x = Config.DoRescale ? (float)(rgb[3 * i + c] * Config.RescaleFactor) : rgb[3 * i + c];
            output[c * plane + i] = Config.DoNormalize ? (x - mean.At(c)) / std.At(c) : x;
        }
        return output;
    }

    /// <summary><c>pixel_values</c> [B, 3, H, W] float32 on the CPU for images that share an output size (a vision
    /// tower casts them to its dtype and device).</summary>
    public Tensor PixelValues(IReadOnlyList<DecodedImage> images)
    {
        if (images.Count == 0)
            throw new ArgumentException("No images to preprocess.", nameof(images));
        var (h, w) = OutputSize(images[0].Height, images[0].Width);
        var data = new float[images.Count * 3 * h * w];
        for (int b = 0; b < images.Count; b++)
        {
            var one = Preprocess(images[b]);
            if (one.Length != 3 * h * w)
                throw new ArgumentException($"Image {b} preprocesses to a different size than image 0; enable centre crop.", nameof(images));
            one.CopyTo(data, b * one.Length);
        }
        return torch.tensor(data, [images.Count, 3, h, w], ScalarType.Float32, CPU); // the model casts them at its entry
    }

    /// <summary>The uint8 RGB stage before rescaling: [H, W, 3] after resize and centre crop.</summary>
    public (byte[] Rgb, int Height, int Width) ResizeAndCrop(DecodedImage image)
    {
        byte[] rgb = image.ToRgb(Background);
        int height = image.Height, width = image.Width;
        if (Config.DoResize)
        {
            var (h, w) = ResizedSize(height, width);
            rgb = PilResize.Resize(rgb, width, height, 3, w, h, Config.Resample);
            (height, width) = (h, w);
        }
        if (Config.DoCenterCrop)
        {
            rgb = CenterCrop(rgb, height, width, Config.CropHeight, Config.CropWidth);
            (height, width) = (Config.CropHeight, Config.CropWidth);
        }
        return (rgb, height, width);
    }

    /// <summary>
    /// The size before the centre crop: transformers' get_resize_output_image_size(default_to_square=False), short side
    /// to the target, long side int(target * long / short).
    /// </summary>
    public (int Height, int Width) ResizedSize(int height, int width)
    {
        if (!Config.DoResize) return (height, width);
        if (Config.ShortestEdge is not { } target) return Config.ResizeTo!.Value;
        int shortSide = Math.Min(height, width), longSide = Math.Max(height, width);
        int newLong = (int)((double)target * longSide / shortSide);
        return width <= height ? (newLong, target) : (target, newLong);
    }

    // transformers' center_crop: offsets (size - crop) // 2; an image smaller than the crop is centred on zeros.
    private static byte[] CenterCrop(byte[] rgb, int height, int width, int cropH, int cropW) =>
        ImageOps.Crop(rgb, width, height, 3, FloorDiv(width - cropW, 2), FloorDiv(height - cropH, 2), cropW, cropH);

    private static int FloorDiv(int a, int b) => (int)Math.Floor(a / (double)b);
}
