using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace UnimoG.EmojiWorld;

/// <summary>The <c>{key}.json</c> member of a sample: captions, spans, background, entities with boxes and layers.</summary>
public sealed record SampleRecord
{
    [JsonPropertyName("key")] public required string Key { get; init; }
    [JsonPropertyName("split")] public required string Split { get; init; }
    /// <summary>The run seed; with <see cref="Index"/> it determines the scene (see <see cref="Composer.SceneRandom"/>).</summary>
    [JsonPropertyName("seed")] public required long Seed { get; init; }
    [JsonPropertyName("index")] public required long Index { get; init; }
    [JsonPropertyName("template")] public required string Template { get; init; }
    [JsonPropertyName("caption_en")] public required string CaptionEn { get; init; }
    [JsonPropertyName("caption_zh")] public required string CaptionZh { get; init; }
    [JsonPropertyName("background")] public required BackgroundRecord Background { get; init; }
    [JsonPropertyName("entities")] public required IReadOnlyList<EntityRecord> Entities { get; init; }

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        // Chinese stays readable in the shards (the JSON is UTF-8 either way).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions);

    public static SampleRecord Parse(byte[] utf8) =>
        JsonSerializer.Deserialize<SampleRecord>(utf8, JsonOptions) ?? throw new InvalidDataException("Empty sample JSON.");
}

public sealed record BackgroundRecord
{
    /// <summary>colour, gradient or scene.</summary>
    [JsonPropertyName("kind")] public required string Kind { get; init; }
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("name_en")] public required string NameEn { get; init; }
    [JsonPropertyName("name_zh")] public required string NameZh { get; init; }
    /// <summary>Whether the captions mention the background.</summary>
    [JsonPropertyName("mentioned")] public required bool Mentioned { get; init; }
    /// <summary>Painted colours as #RRGGBB (one for colour, two for gradient).</summary>
    [JsonPropertyName("colors")] public IReadOnlyList<string>? Colors { get; init; }
    [JsonPropertyName("angle")] public int? Angle { get; init; }
    /// <summary>Scenery emoji code, for kind scene.</summary>
    [JsonPropertyName("hex")] public string? Hex { get; init; }
}

public sealed record EntityRecord
{
    [JsonPropertyName("name_en")] public required string NameEn { get; init; }
    [JsonPropertyName("name_zh")] public required string NameZh { get; init; }
    /// <summary>living, wearing, toy or food.</summary>
    [JsonPropertyName("category")] public required string Category { get; init; }
    [JsonPropertyName("kind")] public required string Kind { get; init; }
    /// <summary>subject, worn or beside.</summary>
    [JsonPropertyName("role")] public required string Role { get; init; }
    [JsonPropertyName("hex")] public required string Hex { get; init; }
    [JsonPropertyName("held_out")] public required bool HeldOut { get; init; }
    /// <summary>[start, end) of the entity's name in caption_en (UTF-16 = code point offsets).</summary>
    [JsonPropertyName("span_en")] public required int[] SpanEn { get; init; }
    [JsonPropertyName("span_zh")] public required int[] SpanZh { get; init; }
    /// <summary>[x0, y0, x1, y1) in pixels: the bounding box of the mask.</summary>
    [JsonPropertyName("box")] public required int[] Box { get; init; }
    /// <summary>Mask pixels (layer alpha >= 128).</summary>
    [JsonPropertyName("area")] public required int Area { get; init; }
    /// <summary>Drawing order, 0 = drawn first (furthest back).</summary>
    [JsonPropertyName("z")] public required int Z { get; init; }
    /// <summary>Tar member holding the entity's RGBA layer: "{key}.layer{i}.png".</summary>
    [JsonPropertyName("layer")] public required string Layer { get; init; }

    // The entity as data preparation's metadata reads it (docs/dataprep.md) for the caption of {key}.txt
    // (English): the words and their [start, end) span. Written only; derived from the fields above.
    [JsonPropertyName("phrase")] public string Phrase => NameEn;
    [JsonPropertyName("start")] public int Start => SpanEn[0];
    [JsonPropertyName("end")] public int End => SpanEn[1];
}
