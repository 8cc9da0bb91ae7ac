using System.Globalization;
using System.Text.Json;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>A training configuration value that is missing, of the wrong type or out of range; names the key.</summary>
public sealed class TrainingConfigException(string key, string message) : Exception($"{key}: {message}")
{
    /// <summary>The offending key as a path, e.g. <c>phases[1].learning_rate</c>.</summary>
    public string Key { get; } = key;
}

/// <summary>
/// Reads one JSON object of the configuration by key, with the key path in every error, and fails on keys it
/// does not know (a misspelt key would otherwise be silently ignored and the default used).
/// </summary>
internal sealed class JsonFields
{
    private readonly JsonElement _obj;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public string Path { get; }

    public JsonFields(JsonElement obj, string path)
    {
        if (obj.ValueKind != JsonValueKind.Object) throw new TrainingConfigException(path == "" ? "(root)" : path, "must be a JSON object");
        _obj = obj;
        Path = path;
    }

    public string KeyPath(string key) => Path == "" ? key : $"{Path}.{key}";

    public bool Has(string key) => _obj.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    private JsonElement? Get(string key)
    {
        _seen.Add(key);
        return _obj.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
    }

    public JsonElement? Raw(string key) => Get(key);

    public string? String(string key, string? fallback = null)
    {
        var v = Get(key);
        if (v is null) return fallback;
        return v.Value.ValueKind == JsonValueKind.String ? v.Value.GetString() : throw Wrong(key, "a string");
    }

    public string RequiredString(string key) => String(key) ?? throw new TrainingConfigException(KeyPath(key), "is required");

    public string Choice(string key, string fallback, params string[] allowed)
    {
        var s = String(key, fallback)!;
        return allowed.Contains(s, StringComparer.Ordinal) ? s
            : throw new TrainingConfigException(KeyPath(key), $"must be one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}, got \"{s}\"");
    }

    public double Double(string key, double fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        var v = Get(key);
        if (v is null) return fallback;
        if (v.Value.ValueKind != JsonValueKind.Number) throw Wrong(key, "a number");
        var d = v.Value.GetDouble();
        return d >= min && d <= max && double.IsFinite(d) ? d
            : throw new TrainingConfigException(KeyPath(key), $"must be between {Fmt(min)} and {Fmt(max)}, got {Fmt(d)}");
    }

    public double? OptionalDouble(string key, double min = double.NegativeInfinity, double max = double.PositiveInfinity) =>
        Has(key) ? Double(key, 0, min, max) : Skip<double?>(key, null);

    public long Long(string key, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        var v = Get(key);
        if (v is null) return fallback;
        if (v.Value.ValueKind != JsonValueKind.Number || !v.Value.TryGetInt64(out var l)) throw Wrong(key, "an integer");
        return l >= min && l <= max ? l
            : throw new TrainingConfigException(KeyPath(key), $"must be between {min} and {(max == long.MaxValue ? "any" : max)}, got {l}");
    }

    public int Int(string key, int fallback, int min = int.MinValue, int max = int.MaxValue) => (int)Long(key, fallback, min, max);

    public int? OptionalInt(string key, int min = int.MinValue, int max = int.MaxValue) =>
        Has(key) ? Int(key, 0, min, max) : Skip<int?>(key, null);

    public bool Bool(string key, bool fallback)
    {
        var v = Get(key);
        if (v is null) return fallback;
        return v.Value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Wrong(key, "true or false"),
        };
    }

    public JsonFields? Object(string key)
    {
        var v = Get(key);
        return v is null ? null : new JsonFields(v.Value, KeyPath(key));
    }

    public IReadOnlyList<JsonElement>? Array(string key)
    {
        var v = Get(key);
        if (v is null) return null;
        return v.Value.ValueKind == JsonValueKind.Array ? v.Value.EnumerateArray().ToList() : throw Wrong(key, "an array");
    }

    public IReadOnlyList<string>? Strings(string key)
    {
        var items = Array(key);
        return items?.Select((e, i) => e.ValueKind == JsonValueKind.String ? e.GetString()!
            : throw new TrainingConfigException($"{KeyPath(key)}[{i}]", "must be a string")).ToList();
    }

    public IReadOnlyList<double>? Doubles(string key)
    {
        var items = Array(key);
        return items?.Select((e, i) => e.ValueKind == JsonValueKind.Number ? e.GetDouble()
            : throw new TrainingConfigException($"{KeyPath(key)}[{i}]", "must be a number")).ToList();
    }

    /// <summary>Fails on the first key this object has that was never asked for.</summary>
    public void RejectUnknown()
    {
        foreach (var p in _obj.EnumerateObject())
            if (!_seen.Contains(p.Name))
                throw new TrainingConfigException(KeyPath(p.Name), "is not a known key (see docs/training.md)");
    }

    private T Skip<T>(string key, T value)
    {
        _seen.Add(key);
        return value;
    }

    private TrainingConfigException Wrong(string key, string what) => new(KeyPath(key), $"must be {what}");

    private static string Fmt(double d) => double.IsInfinity(d) ? (d > 0 ? "any" : "-any") : d.ToString("G", CultureInfo.InvariantCulture);
}
