using System.Text.Json;

namespace UnimoG.Engines.DataPrep.Entities;

/// <summary>
/// Entities given in the sample's <c>{key}.json</c>: <c>"entities": [ "dog", { "phrase": "red scarf", "start": 14,
/// "end": 23, "grounding": "scarf", "box": [x0, y0, x1, y1] } ]</c>. A plain string is located in the caption (first
/// whole-word, case-insensitive occurrence not already used); an object may pin its span, give the words for the
/// grounding model, and give a pixel box (then no grounding is needed for it).
/// </summary>
public sealed class MetadataEntityExtractor : IEntityExtractor
{
    public string Name => "metadata";

    public ValueTask<EntityExtraction> ExtractAsync(EntityRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new EntityExtraction(request.Caption, "input", Parse(request.Caption, request.Metadata)));

    public static IReadOnlyList<EntityMention> Parse(string caption, JsonElement? metadata)
    {
        if (metadata is not { } meta)
            throw new InvalidDataException("metadata: no {key}.json, but --entities metadata needs one with an \"entities\" list");
        if (meta.ValueKind != JsonValueKind.Object || !meta.TryGetProperty("entities", out var list))
            throw new InvalidDataException("metadata: {key}.json has no \"entities\" list");
        if (list.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"metadata: \"entities\" must be an array, not {list.ValueKind}");

        var taken = new List<(int, int)>();
        var result = new List<EntityMention>();
        var i = 0;
        foreach (var item in list.EnumerateArray())
        {
            var field = $"metadata: entities[{i++}]";
            EntityMention mention = item.ValueKind switch
            {
                JsonValueKind.String => Locate(caption, item.GetString()!, null, null, null, null, taken, field),
                JsonValueKind.Object => FromObject(caption, item, taken, field),
                _ => throw new InvalidDataException($"{field} must be a string or an object, not {item.ValueKind}"),
            };
            taken.Add((mention.Start, mention.End));
            result.Add(mention);
        }
        return result.OrderBy(m => m.Start).ToList();
    }

    private static EntityMention FromObject(string caption, JsonElement o, List<(int, int)> taken, string field)
    {
        if (!o.TryGetProperty("phrase", out var p) || p.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{field}.phrase is missing or not a string");
        int? start = o.TryGetProperty("start", out var s) ? ReadInt(s, $"{field}.start") : null;
        int? end = o.TryGetProperty("end", out var e) ? ReadInt(e, $"{field}.end") : null;
        string? grounding = null;
        if (o.TryGetProperty("grounding", out var g))
            grounding = g.ValueKind == JsonValueKind.String && g.GetString()!.Trim().Length > 0
                ? g.GetString()!.Trim()
                : throw new InvalidDataException($"{field}.grounding must be a non-empty string");
        BoxXyxy? box = o.TryGetProperty("box", out var b) ? ReadBox(b, $"{field}.box") : null;
        return Locate(caption, p.GetString()!, start, end, grounding, box, taken, field);
    }

    private static EntityMention Locate(string caption, string phrase, int? start, int? end, string? grounding,
        BoxXyxy? box, List<(int, int)> taken, string field)
    {
        phrase = phrase.Trim();
        if (phrase.Length == 0)
            throw new InvalidDataException($"{field}: empty phrase");
        if (start is not null || end is not null)
        {
            if (start is not { } st || end is not { } en)
                throw new InvalidDataException($"{field}: give both start and end, or neither");
            if (st < 0 || en > caption.Length || en <= st)
                throw new InvalidDataException($"{field}: span [{st}, {en}) is outside the caption of {caption.Length} characters");
            var text = caption[st..en];
            if (!string.Equals(text, phrase, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{field}: caption[{st}:{en}] is \"{text}\", not the phrase \"{phrase}\"");
            if (taken.Any(t => st < t.Item2 && t.Item1 < en))
                throw new InvalidDataException($"{field}: span [{st}, {en}) overlaps another entity");
            return new EntityMention(text, st, en, grounding ?? text, box);
        }
        var at = CaptionSearch.Find(caption, phrase, taken);
        if (at < 0)
            throw new InvalidDataException($"{field}: \"{phrase}\" does not occur in the caption (or only inside other entities)");
        var found = caption.Substring(at, phrase.Length);
        return new EntityMention(found, at, at + phrase.Length, grounding ?? found, box);
    }

    private static int ReadInt(JsonElement e, string field) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v)
            ? v
            : throw new InvalidDataException($"{field} must be an integer");

    private static BoxXyxy ReadBox(JsonElement e, string field)
    {
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != 4
            || e.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
            throw new InvalidDataException($"{field} must be four numbers [x0, y0, x1, y1] in pixels");
        var v = e.EnumerateArray().Select(x => x.GetSingle()).ToArray();
        if (!(v[2] > v[0] && v[3] > v[1]) || v.Any(x => !float.IsFinite(x)))
            throw new InvalidDataException($"{field} [{string.Join(", ", v)}] must have x1 > x0 and y1 > y0");
        return new BoxXyxy(v[0], v[1], v[2], v[3]);
    }
}
