using System.Text.Json;
using System.Text.Json.Serialization;
using UnimoG.Data.Config;
using UnimoG.Imaging;

namespace UnimoG.Modeling.Images;

/// <summary>
/// transformers' <c>CLIPImageProcessor</c> settings (<c>preprocessor_config.json</c>), read by <see cref="ConfigJson"/>.
/// Defaults are OpenAI CLIP's: shortest edge 224 (bicubic), centre crop 224x224, rescale 1/255, CLIP mean/std.
/// </summary>
public sealed record ClipImageProcessorConfig : IValidatedConfig
{
    public static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    public static readonly float[] ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];

    [JsonPropertyName("do_resize")] public bool DoResize { get; init; } = true;
    /// <summary><c>{"shortest_edge": n}</c> (the short side, aspect kept) or <c>{"height": h, "width": w}</c> (exact).</summary>
    [JsonPropertyName("size"), JsonConverter(typeof(SizeDict.NumberOrObject))] public SizeDict Size { get; init; } = new() { ShortestEdge = 224 };
    [JsonPropertyName("resample")] public PilFilter Resample { get; init; } = PilFilter.Bicubic;
    [JsonPropertyName("do_center_crop")] public bool DoCenterCrop { get; init; } = true;
    [JsonPropertyName("crop_size"), JsonConverter(typeof(SizeDict.NumberOrObject))] public SizeDict CropSize { get; init; } = new() { Height = 224, Width = 224 };
    [JsonPropertyName("do_rescale")] public bool DoRescale { get; init; } = true;
    [JsonPropertyName("rescale_factor")] public double RescaleFactor { get; init; } = 1 / 255.0;
    [JsonPropertyName("do_normalize")] public bool DoNormalize { get; init; } = true;
    /// <summary>One value for every channel or three (R, G, B).</summary>
    [JsonPropertyName("image_mean")] public OneOrList<float> ImageMean { get; init; } = new(ClipMean);
    [JsonPropertyName("image_std")] public OneOrList<float> ImageStd { get; init; } = new(ClipStd);

    /// <summary>Keys we do not use (image_processor_type, do_convert_rgb, ...).</summary>
    [JsonExtensionData] public IgnoredKeys? IgnoredKeys { get; init; }

    /// <summary>The short side after resizing (aspect kept); null when an exact size is given.</summary>
    public int? ShortestEdge => Size.ShortestEdge;
    /// <summary>An exact resize (aspect not kept), used when <see cref="ShortestEdge"/> is null.</summary>
    public (int Height, int Width)? ResizeTo => Size is { Height: { } h, Width: { } w } ? (h, w) : null;
    public int CropHeight => CropSize.Height ?? 0;
    public int CropWidth => CropSize.Width ?? 0;

    /// <summary>CLIP's processing for a vision tower of <paramref name="size"/> pixels: shortest edge and square crop of that size.</summary>
    public static ClipImageProcessorConfig ForImageSize(int size) =>
        new() { Size = new SizeDict { ShortestEdge = size }, CropSize = new SizeDict { Height = size, Width = size } };

    public void Validate(ConfigLocation at)
    {
        if (ShortestEdge is <= 0) throw at["size"]["shortest_edge"].Error($"must be positive, got {ShortestEdge}");
        if (ShortestEdge is null && ResizeTo is not { Height: > 0, Width: > 0 }) throw at["size"].Error("needs a positive shortest_edge, or height and width");
        if (CropHeight <= 0 || CropWidth <= 0) throw at["crop_size"].Error($"needs a positive height and width, got {CropHeight}x{CropWidth}");
        if (!Enum.IsDefined(Resample)) throw at["resample"].Error($"{(int)Resample} is not supported (1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)");
        if (ImageMean.Count(3) != 3) throw at["image_mean"].Error("must be one number or three (R, G, B)");
        if (ImageStd.Count(3) != 3) throw at["image_std"].Error("must be one number or three (R, G, B)");
        if (Enumerable.Range(0, 3).Any(c => ImageStd.At(c) == 0)) throw at["image_std"].Error("must not contain 0");
    }

    /// <summary>transformers' size dict. Older files write a plain number n: the shortest edge for <c>size</c>, n x n for <c>crop_size</c>.</summary>
    public sealed record SizeDict
    {
        [JsonPropertyName("shortest_edge"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? ShortestEdge { get; init; }
        [JsonPropertyName("height"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Height { get; init; }
        [JsonPropertyName("width"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Width { get; init; }

        internal sealed class NumberOrObject : JsonConverter<SizeDict>
        {
            public override SizeDict Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
            {
                // A number stands for both readings; size uses shortest_edge, crop_size height and width.
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n)) return new SizeDict { ShortestEdge = n, Height = n, Width = n };
                if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException();
                try
                {
                    return JsonSerializer.Deserialize<SizeDict>(ref reader, options)!;
                }
                catch (JsonException e)
                {
                    throw new JsonException(null, e);   // keeps the inner key's path (see OneOrList)
                }
            }

            public override void Write(Utf8JsonWriter writer, SizeDict value, JsonSerializerOptions options) => JsonSerializer.Serialize(writer, value, options);
        }
    }
}
