using System.Text.Json;
using System.Text.Json.Serialization;

namespace UnimoG.Engines.DataPrep.Shards;

/// <summary><c>{key}.json</c> of a prepared sample. Field by field in docs/dataprep.md.</summary>
public sealed record SampleRecord
{
    public const string FormatName = "unimog-dataprep/1";

    public string Format { get; init; } = FormatName;
    public required string Key { get; init; }
    public required string Image { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public int ExifOrientation { get; init; } = 1;
    public required string Caption { get; init; }
    public required string CaptionSource { get; init; }
    public required string EntitySource { get; init; }
    public required bool TextOnly { get; init; }
    public required string Prompt { get; init; }
    public required IReadOnlyList<PromptPartRecord> PromptParts { get; init; }
    public required IReadOnlyList<EntityRecord> Entities { get; init; }
    public required IReadOnlyList<DroppedEntityRecord> Dropped { get; init; }
}

public sealed record PromptPartRecord
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Text { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Image { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Entity { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Member { get; init; }
}

public sealed record EntityRecord
{
    public required string Phrase { get; init; }
    public required int Start { get; init; }
    public required int End { get; init; }
    public required string GroundingPhrase { get; init; }
    public required float[] Box { get; init; }
    public required string BoxSource { get; init; }
    public float? Score { get; init; }
    public required RleRecord Mask { get; init; }
    public required string MaskSource { get; init; }
    public required int MaskArea { get; init; }
    public required string Segment { get; init; }
    public required int[] SegmentBox { get; init; }
    public required bool Replaced { get; init; }
    public int? Image { get; init; }
}

/// <summary>COCO uncompressed RLE: <c>size</c> is [height, width], <c>counts</c> column-major runs starting with zeros.</summary>
public sealed record RleRecord(int[] Size, int[] Counts);

public sealed record DroppedEntityRecord(string Phrase, int Start, int End, string Reason);

/// <summary><c>{shard}.index.json</c>, written after the shard's tar: its presence marks the shard finished.</summary>
public sealed record ShardIndex
{
    public string Format { get; init; } = SampleRecord.FormatName;
    public required string Shard { get; init; }
    public required string Source { get; init; }
    public required bool Complete { get; init; }
    public required int Samples { get; init; }
    public required int Entities { get; init; }
    public required int Replaced { get; init; }
    public required int TextOnly { get; init; }
    public required int DroppedEntities { get; init; }
    public required IReadOnlyList<string> Keys { get; init; }
    public required IReadOnlyList<SampleError> Errors { get; init; }
    public required IReadOnlyDictionary<string, string> Settings { get; init; }
}

/// <summary>A sample left out, and why. <c>Key</c> is null for errors of the shard itself (a malformed tar).</summary>
public sealed record SampleError(string? Key, string Reason);

public static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };
}
