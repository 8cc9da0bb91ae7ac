using System.Text.Json;

namespace UnimoG.Modeling.Encoders;

/// <summary>
/// A transformers <c>config.json</c> read key by key: a missing required key or a value of the wrong
/// kind fails naming the file and the key, defaults are those of transformers v4.37.
/// </summary>
public sealed class JsonConfig
{
    private readonly JsonElement _root;
    public string Source { get; }

    public JsonConfig(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: expected a JSON object");
        _root = root;
        Source = source;
    }

    public static JsonConfig Load(string path)
    {
        using var doc = Configs.ConfigReader.ParseFile(path);
        return new JsonConfig(doc.RootElement.Clone(), path);
    }

    /// <summary>A nested config (e.g. <c>text_config</c> of a full CLIPModel config) when present.</summary>
    public JsonConfig? Nested(string key) =>
        _root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Object ? new JsonConfig(v, $"{Source}:{key}") : null;

    public bool Has(string key) => _root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    private JsonElement? Get(string key) => _root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public int Int(string key, int? fallback = null)
    {
        if (Get(key) is not { } v) return fallback ?? throw Missing(key);
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i)) return i;
        throw Wrong(key, "an integer", v);
    }

    public int? IntOrNull(string key)
    {
        if (Get(key) is not { } v) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i)) return i;
        throw Wrong(key, "an integer", v);
    }

    /// <summary>An integer or a list of integers (e.g. <c>eos_token_id</c>).</summary>
    public int[] Ints(string key)
    {
        if (Get(key) is not { } v) return [];
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i)) return [i];
        if (v.ValueKind == JsonValueKind.Array)
            return v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var x) ? x : throw Wrong(key, "a list of integers", v)).ToArray();
        throw Wrong(key, "an integer or a list of integers", v);
    }

    public double Double(string key, double? fallback = null)
    {
        if (Get(key) is not { } v) return fallback ?? throw Missing(key);
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        throw Wrong(key, "a number", v);
    }

    public bool Bool(string key, bool fallback)
    {
        if (Get(key) is not { } v) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Wrong(key, "true or false", v),
        };
    }

    public string String(string key, string? fallback = null)
    {
        if (Get(key) is not { } v) return fallback ?? throw Missing(key);
        if (v.ValueKind == JsonValueKind.String) return v.GetString()!;
        throw Wrong(key, "a string", v);
    }

    public JsonElement? Raw(string key) => Get(key);

    public InvalidDataException Unsupported(string key, string why) => new($"{Source}: \"{key}\" {why}");

    private InvalidDataException Missing(string key) => new($"{Source}: required key \"{key}\" is missing");

    private InvalidDataException Wrong(string key, string want, JsonElement got) =>
        new($"{Source}: \"{key}\" must be {want}, got {got.GetRawText()}");
}
