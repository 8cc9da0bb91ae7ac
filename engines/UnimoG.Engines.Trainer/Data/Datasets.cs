using System.Buffers.Binary;
using System.Text.Json;
using UnimoG.Data.Shards;
using UnimoG.Imaging;
using UnimoG.Engines.Trainer.Config;

namespace UnimoG.Engines.Trainer.Data;

/// <summary>
/// Reads the two training-data formats into <see cref="TrainingExample"/>s:
/// <c>emojiworld</c> (stage 1: <c>{key}.png</c> + <c>{key}.json</c> with caption_en/caption_zh, or <c>{key}.txt</c>) and
/// <c>prepared</c> (stage 2: data preparation's <c>unimog-dataprep/1</c> shards: image, <c>{key}.json</c>, <c>{key}.{i}.png</c>).
/// </summary>
public static class Datasets
{
    private static readonly string[] ImageExtensions = ["png", "jpg", "jpeg", "webp"];

    public static IReadOnlyList<TrainingExample> Load(DataSettings data)
    {
        var samples = ShardReader.Index(data.Path, data.Kind);
        var limit = data.Limit > 0 ? Math.Min(data.Limit, samples.Count) : samples.Count;
        var examples = new List<TrainingExample>(limit);
        foreach (var (key, members, _) in samples.Take(limit))
        {
            if (data.Kind == "prepared")
                examples.Add(Prepared(key, members));
            else if (data.Caption == "en+zh")
            {
                // Both captions of every scene: two samples sharing the image (and its cached latents), the Chinese
                // one tagged so its condition has a key of its own; the shuffle mixes the languages.
                examples.Add(EmojiWorld(key, members, "en"));
                examples.Add(EmojiWorld(key, members, "zh") with { CaptionTag = "zh" });
            }
            else
                examples.Add(EmojiWorld(key, members, data.Caption));
        }
        return examples;
    }

    private static TrainingExample EmojiWorld(string key, IReadOnlyDictionary<string, ShardMember> members, string captionKind)
    {
        var image = ImageMember(key, members);
        string caption;
        if (captionKind == "txt")
        {
            caption = (members.TryGetValue("txt", out var txt) ? txt : throw new InvalidDataException($"{image.Shard}: sample '{key}' has no {key}.txt caption")).ReadText().Trim();
        }
        else
        {
            var json = members.TryGetValue("json", out var j) ? j : throw new InvalidDataException($"{image.Shard}: sample '{key}' has no {key}.json record");
            using var doc = JsonDocument.Parse(json.Read());
            var field = captionKind == "zh" ? "caption_zh" : "caption_en";
            caption = doc.RootElement.TryGetProperty(field, out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()!
                : throw new InvalidDataException($"{image.Shard}: {key}.json has no '{field}'");
        }
        if (caption.Length == 0) throw new InvalidDataException($"{image.Shard}: sample '{key}' has an empty caption");
        var (w, h) = ImageSize(image);
        return new TrainingExample(key, w, h, image, caption, null);
    }

    private static TrainingExample Prepared(string key, IReadOnlyDictionary<string, ShardMember> members)
    {
        var json = members.TryGetValue("json", out var j) ? j : throw new InvalidDataException($"sample '{key}' has no {key}.json record");
        using var doc = JsonDocument.Parse(json.Read());
        var r = doc.RootElement;
        string Str(string field) => r.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw new InvalidDataException($"{json.Shard}: {key}.json: '{field}' is missing or not a string");
        if (Str("format") != "unimog-dataprep/1") throw new InvalidDataException($"{json.Shard}: {key}.json: format '{Str("format")}' is not unimog-dataprep/1");
        var imageName = Str("image");
        var image = members.Values.FirstOrDefault(m => m.Name == imageName)
            ?? throw new InvalidDataException($"{json.Shard}: sample '{key}' names image '{imageName}', which is not in the shard");
        int width = r.GetProperty("width").GetInt32(), height = r.GetProperty("height").GetInt32();
        var caption = Str("caption");
        var entities = r.GetProperty("entities").EnumerateArray().ToList();
        var textOnly = r.TryGetProperty("text_only", out var t) && t.ValueKind == JsonValueKind.True;
        List<PromptPiece>? pieces = null;
        if (!textOnly && r.TryGetProperty("prompt_parts", out var parts) && parts.EnumerateArray().Any(p => p.TryGetProperty("image", out _)))
        {
            pieces = [];
            foreach (var part in parts.EnumerateArray())
            {
                if (part.TryGetProperty("text", out var text)) { pieces.Add(new PromptPiece.Text(text.GetString() ?? "")); continue; }
                var entity = part.GetProperty("entity").GetInt32();
                if (entity < 0 || entity >= entities.Count) throw new InvalidDataException($"{json.Shard}: {key}.json: prompt part names entity {entity} of {entities.Count}");
                var memberName = part.GetProperty("member").GetString()!;
                var segment = members.Values.FirstOrDefault(m => m.Name == memberName)
                    ?? throw new InvalidDataException($"{json.Shard}: sample '{key}' has no segment member '{memberName}'");
                ReadMask(entities[entity], $"{json.Shard}: {key}.json: entity {entity}", height, width);   // validate now, keep nothing
                pieces.Add(new PromptPiece.Image(entity, segment, json, height, width));
            }
        }
        return new TrainingExample(key, width, height, image, caption, pieces);
    }

    /// <summary>Entity <paramref name="entity"/>'s mask from a prepared sample's record.</summary>
    public static CocoRle EntityMask(ShardMember record, int entity, int height, int width)
    {
        using var doc = JsonDocument.Parse(record.Read());
        return ReadMask(doc.RootElement.GetProperty("entities")[entity], $"{record.Shard}: {record.Name}: entity {entity}", height, width);
    }

    private static CocoRle ReadMask(JsonElement entity, string what, int height, int width)
    {
        if (!entity.TryGetProperty("mask", out var mask) || !mask.TryGetProperty("size", out var sizeJson) || !mask.TryGetProperty("counts", out var counts))
            throw new InvalidDataException($"{what}: 'mask' must be a COCO RLE object with 'size' and 'counts'");
        var size = sizeJson.EnumerateArray().Select(e => e.GetInt32()).ToArray();
        if (size.Length != 2 || size[0] != height || size[1] != width)
            throw new InvalidDataException($"{what}: mask size [{string.Join(", ", size)}] is not the image's [{height}, {width}]");
        if (counts.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{what}: mask counts must be an array of run lengths (uncompressed RLE)");
        return new CocoRle(height, width, counts.EnumerateArray().Select(e => e.GetInt64()).ToList());
    }

    private static ShardMember ImageMember(string key, IReadOnlyDictionary<string, ShardMember> members)
    {
        foreach (var ext in ImageExtensions)
            if (members.TryGetValue(ext, out var m)) return m;
        throw new InvalidDataException($"sample '{key}' has no image member ({string.Join(", ", ImageExtensions.Select(e => $"{key}.{e}"))})");
    }

    /// <summary>Width and height from the PNG header (24 bytes), else from the decoder's header reader.</summary>
    private static (int W, int H) ImageSize(ShardMember image)
    {
        if (image.Name.EndsWith(".png", StringComparison.OrdinalIgnoreCase) && image.Length >= 24)
        {
            var head = new byte[24];
            using (var fs = new FileStream(image.Shard, FileMode.Open, FileAccess.Read, FileShare.Read, 64))
            {
                fs.Seek(image.Offset, SeekOrigin.Begin);
                fs.ReadExactly(head);
            }
            return (BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(20)));
        }
        var (_, w, h) = ImageDecoder.ReadHeader(image.Read());
        return (w, h);
    }
}
