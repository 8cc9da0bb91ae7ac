using System.Globalization;
using System.Text.Json;

namespace UnimoG.Modeling.Configs;

/// <summary>A config value that is malformed or not supported, naming its key (e.g. <c>attention_type</c>).</summary>
public sealed class ConfigException(string source, string key, string reason)
    : Exception($"{source}: '{key}' {reason}")
{
    public string ConfigSource { get; } = source;
    public string Key { get; } = key;
}

/// <summary>An int or a per-level list of ints (diffusers accepts both for many U-Net settings).</summary>
public sealed record IntOrList
{
    public int? Scalar { get; }
    public IReadOnlyList<int>? Items { get; }

    public IntOrList(int scalar) => Scalar = scalar;
    public IntOrList(IReadOnlyList<int> items) => Items = items;

    public static implicit operator IntOrList(int value) => new(value);

    public int At(int index) => Scalar ?? Items![index];
    public int Count(int levels) => Items?.Count ?? levels;
    public override string ToString() => Scalar?.ToString(CultureInfo.InvariantCulture) ?? $"[{string.Join(", ", Items!)}]";
}

/// <summary>
/// <c>transformer_layers_per_block</c>: an int, or per level an int or a per-layer list of ints.
/// </summary>
public sealed record LayerCounts
{
    public int? Scalar { get; }
    public IReadOnlyList<IntOrList>? Items { get; }

    public LayerCounts(int scalar) => Scalar = scalar;
    public LayerCounts(IReadOnlyList<IntOrList> items) => Items = items;

    public static implicit operator LayerCounts(int value) => new(value);

    /// <summary>The transformer depth of each of <paramref name="layers"/> attention layers at a level.</summary>
    public int[] PerLayer(int level, int layers)
    {
        var v = Scalar is { } s ? new IntOrList(s) : Items![level];
        return Enumerable.Range(0, layers).Select(v.At).ToArray();
    }

    public override string ToString() => Scalar?.ToString(CultureInfo.InvariantCulture) ?? $"[{string.Join(", ", Items!)}]";
}

/// <summary>
/// Reads one <c>config.json</c> object key by key, with errors that name the key and the file.
/// Keys starting with <c>_</c> (<c>_class_name</c>, <c>_diffusers_version</c>) are metadata; keys the
/// reference class does not know are collected (diffusers ignores them too, e.g. EMA settings).
/// </summary>
internal sealed class ConfigReader
{
    private readonly JsonElement _root;
    private readonly HashSet<string> _known;

    public string Source { get; }

    public ConfigReader(JsonElement root, string source, IEnumerable<string> knownKeys)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: a config must be a JSON object");
        _root = root;
        Source = source;
        _known = knownKeys.ToHashSet(StringComparer.Ordinal);
    }

    public static JsonDocument ParseFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"config not found: {path}", path);
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})");
        }
    }

    public IReadOnlyList<string> UnknownKeys =>
        _root.EnumerateObject().Select(p => p.Name).Where(n => !n.StartsWith('_') && !_known.Contains(n)).ToList();

    public string? Metadata(string key) =>
        _root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public ConfigException Error(string key, string reason) => new(Source, key, reason);

    private JsonElement? Get(string key)
    {
        if (!_known.Contains(key)) throw new InvalidOperationException($"config key '{key}' read but not declared");
        return _root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
    }

    private int ToInt(string key, JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue)
            return (int)d;
        throw Error(key, $"must be an integer, got {v.GetRawText()}");
    }

    public int Int(string key, int fallback) => Get(key) is { } v ? ToInt(key, v) : fallback;

    public int? NullableInt(string key) => Get(key) is { } v ? ToInt(key, v) : null;

    public double Double(string key, double fallback) => NullableDouble(key) ?? fallback;

    public double? NullableDouble(string key) => Get(key) is { } v
        ? v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw Error(key, $"must be a number, got {v.GetRawText()}")
        : null;

    public bool Bool(string key, bool fallback) => Get(key) is { } v
        ? v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(key, $"must be true or false, got {v.GetRawText()}"),
        }
        : fallback;

    public string? String(string key, string? fallback) => Get(key) is { } v
        ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw Error(key, $"must be a string, got {v.GetRawText()}")
        : fallback;

    public IReadOnlyList<string> Strings(string key, IReadOnlyList<string> fallback) => Get(key) is { } v
        ? v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
            ? v.EnumerateArray().Select(e => e.GetString()!).ToList()
            : throw Error(key, $"must be a list of strings, got {v.GetRawText()}")
        : fallback;

    public IReadOnlyList<int> Ints(string key, IReadOnlyList<int> fallback) => Get(key) is { } v
        ? v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(e => ToInt(key, e)).ToList()
            : throw Error(key, $"must be a list of integers, got {v.GetRawText()}")
        : fallback;

    public IReadOnlyList<double>? NullableDoubles(string key) => Get(key) is { } v
        ? v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number)
            ? v.EnumerateArray().Select(e => e.GetDouble()).ToList()
            : throw Error(key, $"must be a list of numbers, got {v.GetRawText()}")
        : null;

    public IntOrList? NullableIntOrList(string key) => Get(key) is { } v ? ToIntOrList(key, v) : null;

    public IntOrList IntOrList(string key, IntOrList fallback) => NullableIntOrList(key) ?? fallback;

    private IntOrList ToIntOrList(string key, JsonElement v) => v.ValueKind == JsonValueKind.Array
        ? new IntOrList(v.EnumerateArray().Select(e => ToInt(key, e)).ToList())
        : new IntOrList(ToInt(key, v));

    public LayerCounts? NullableLayerCounts(string key) => Get(key) is { } v
        ? v.ValueKind == JsonValueKind.Array
            ? new LayerCounts(v.EnumerateArray().Select(e => ToIntOrList(key, e)).ToList())
            : new LayerCounts(ToInt(key, v))
        : null;

    /// <summary><c>only_cross_attention</c>-style: a bool or a per-level list of bools.</summary>
    public IReadOnlyList<bool>? BoolOrList(string key, out bool scalar)
    {
        scalar = false;
        if (Get(key) is not { } v) return null;
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            scalar = v.GetBoolean();
            return null;
        }
        if (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind is JsonValueKind.True or JsonValueKind.False))
            return v.EnumerateArray().Select(e => e.GetBoolean()).ToList();
        throw Error(key, $"must be true, false or a list of them, got {v.GetRawText()}");
    }

    /// <summary>Any JSON value, kept as raw text (for keys that do not change the supported blocks).</summary>
    public string? Raw(string key) => Get(key)?.GetRawText();
}
