using System.Text.Json;
using TorchSharp;
using UnimoG.Imaging;
using UnimoG.Modeling.Configs;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Images;

/// <summary>
/// transformers' <c>CLIPImageProcessor</c> settings, read from <c>preprocessor_config.json</c> with its key names.
/// Defaults are OpenAI CLIP's: shortest edge 224 (bicubic), centre crop 224x224, rescale 1/255, CLIP mean/std.
/// </summary>
public sealed record ClipImageProcessorConfig
{
    public static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    public static readonly float[] ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];

    public bool DoResize { get; init; } = true;
    /// <summary><c>size.shortest_edge</c>: the short side after resizing (aspect kept); null when an exact size is given.</summary>
    public int? ShortestEdge { get; init; } = 224;
    /// <summary><c>size.height</c>/<c>size.width</c>: an exact resize (aspect not kept), used when <see cref="ShortestEdge"/> is null.</summary>
    public (int Height, int Width)? ResizeTo { get; init; }
    public PilFilter Resample { get; init; } = PilFilter.Bicubic;
    public bool DoCenterCrop { get; init; } = true;
    public int CropHeight { get; init; } = 224;
    public int CropWidth { get; init; } = 224;
    public bool DoRescale { get; init; } = true;
    public double RescaleFactor { get; init; } = 1 / 255.0;
    public bool DoNormalize { get; init; } = true;
    public float[] ImageMean { get; init; } = ClipMean;
    public float[] ImageStd { get; init; } = ClipStd;

    public static ClipImageProcessorConfig FromFile(string path)
    {
        using var doc = ConfigReader.ParseFile(path);
        try
        {
            return FromJson(doc.RootElement);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads the keys this processor uses; other keys (processor_class, ...) are ignored.</summary>
    public static ClipImageProcessorConfig FromJson(JsonElement json)
    {
        var config = new ClipImageProcessorConfig();
        bool Bool(string key, bool fallback) => json.TryGetProperty(key, out var v) ? v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidDataException($"'{key}' must be true or false."),
        } : fallback;
        float[] Triple(string key, float[] fallback)
        {
            if (!json.TryGetProperty(key, out var v)) return fallback;
            if (v.ValueKind == JsonValueKind.Number) return [v.GetSingle(), v.GetSingle(), v.GetSingle()];
            var values = v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => e.GetSingle()).ToArray() : [];
            return values.Length == 3 ? values : throw new InvalidDataException($"'{key}' must be three numbers (R, G, B).");
        }

        int? shortest = config.ShortestEdge;
        (int, int)? exact = null;
        if (json.TryGetProperty("size", out var size))
        {
            if (size.ValueKind == JsonValueKind.Number) shortest = size.GetInt32();
            else if (size.TryGetProperty("shortest_edge", out var se)) shortest = se.GetInt32();
            else if (size.TryGetProperty("height", out var h) && size.TryGetProperty("width", out var w)) { shortest = null; exact = (h.GetInt32(), w.GetInt32()); }
            else throw new InvalidDataException("'size' must be a number, {\"shortest_edge\": n} or {\"height\": h, \"width\": w}.");
        }
        int cropH = config.CropHeight, cropW = config.CropWidth;
        if (json.TryGetProperty("crop_size", out var crop))
        {
            if (crop.ValueKind == JsonValueKind.Number) cropH = cropW = crop.GetInt32();
            else if (crop.TryGetProperty("height", out var h) && crop.TryGetProperty("width", out var w)) { cropH = h.GetInt32(); cropW = w.GetInt32(); }
            else throw new InvalidDataException("'crop_size' must be a number or {\"height\": h, \"width\": w}.");
        }
        var resample = config.Resample;
        if (json.TryGetProperty("resample", out var r))
        {
            int code = r.GetInt32();
            resample = Enum.IsDefined(typeof(PilFilter), code) ? (PilFilter)code
                : throw new InvalidDataException($"'resample' {code} is not supported (1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming).");
        }
        var result = config with
        {
            DoResize = Bool("do_resize", config.DoResize),
            ShortestEdge = shortest,
            ResizeTo = exact,
            Resample = resample,
            DoCenterCrop = Bool("do_center_crop", config.DoCenterCrop),
            CropHeight = cropH,
            CropWidth = cropW,
            DoRescale = Bool("do_rescale", config.DoRescale),
            RescaleFactor = json.TryGetProperty("rescale_factor", out var rf) ? rf.GetDouble() : config.RescaleFactor,
            DoNormalize = Bool("do_normalize", config.DoNormalize),
            ImageMean = Triple("image_mean", config.ImageMean),
            ImageStd = Triple("image_std", config.ImageStd),
        };
        result.Validate();
        return result;
    }

    public void Validate()
    {
        if (ShortestEdge is <= 0) throw new InvalidDataException($"'size.shortest_edge' must be positive, got {ShortestEdge}.");
        if (ShortestEdge is null && ResizeTo is not { Height: > 0, Width: > 0 }) throw new InvalidDataException("'size' needs a positive shortest_edge or height and width.");
        if (CropHeight <= 0 || CropWidth <= 0) throw new InvalidDataException($"'crop_size' must be positive, got {CropHeight}x{CropWidth}.");
        if (ImageStd.Any(s => s == 0)) throw new InvalidDataException("'image_std' must not contain 0.");
    }
}

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

    /// <summary>[3, H, W] float32 <c>pixel_values</c> of one image (channel-first, row-major).</summary>
    public float[] Preprocess(DecodedImage image)
    {
        var (rgb, height, width) = ResizeAndCrop(image);
        var mean = Config.DoNormalize ? Config.ImageMean : [0f, 0f, 0f];
        var std = Config.DoNormalize ? Config.ImageStd : [1f, 1f, 1f];
        var output = new float[3 * height * width];
        int plane = height * width;
        for (int i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++)
        {
            // numpy: uint8 -> float64 * factor -> float32, then (x - mean) / std in float32.
            float x = Config.DoRescale ? (float)(rgb[3 * i + c] * Config.RescaleFactor) : rgb[3 * i + c];
            output[c * plane + i] = Config.DoNormalize ? (x - mean[c]) / std[c] : x;
        }
        return output;
    }

    /// <summary><c>pixel_values</c> [B, 3, H, W] float32 for images that share an output size.</summary>
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
        return torch.tensor(data, [images.Count, 3, h, w], ScalarType.Float32);
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

    // transformers' get_resize_output_image_size(default_to_square=False): short side to the target,
    // long side int(target * long / short).
    private (int Height, int Width) ResizedSize(int height, int width)
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
