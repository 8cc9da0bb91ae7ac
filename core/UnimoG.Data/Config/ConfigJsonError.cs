using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;

namespace UnimoG.Data.Config;

/// <summary>
/// Turns System.Text.Json's failure (a path such as <c>$.phases[1].steps</c>) into the one-line problem: the key,
/// then "unknown key" or "expected (what the record's type takes), got (what the file has)".
/// </summary>
internal static partial class ConfigJsonError
{
    public static ConfigException From(JsonException e, JsonElement root, Type rootType, ConfigLocation at, JsonSerializerOptions options)
    {
        var segments = Segments(FullPath(e)).ToList();
        JsonElement? value = root;
        var type = rootType;
        var where = at;
        foreach (var segment in segments)
        {
            type = Unwrap(type);
            if (segment is int index)
            {
                type = ElementType(type, options) ?? type;
                value = value is { ValueKind: JsonValueKind.Array } a && index < a.GetArrayLength() ? a[index] : null;
                where = where[index];
                continue;
            }
            var name = (string)segment;
            var info = options.GetTypeInfo(type);
            where = where[name];
            value = value is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) ? v : null;
            if (info.Kind == JsonTypeInfoKind.Dictionary) type = info.ElementType!;
            if (info.Kind != JsonTypeInfoKind.Object) continue;
            var property = info.Properties.FirstOrDefault(p => p.Name == name && !p.IsExtensionData);
            if (property is null)
                return where.Error($"unknown key (known: {string.Join(", ", info.Properties.Where(p => !p.IsExtensionData).Select(p => p.Name))})");
            type = property.PropertyType;
        }
        if (Missing(type, value, options) is { Count: > 0 } missing) return where.Error($"missing required key {string.Join(", ", missing)}");
        return where.Error($"expected {Describe(type, value)}, got {Show(value)}");
    }

    /// <summary>The <c>required</c> keys an object lacks (System.Text.Json fails at the object for them).</summary>
    private static List<string> Missing(Type type, JsonElement? value, JsonSerializerOptions options) =>
        value is { ValueKind: JsonValueKind.Object } o && options.GetTypeInfo(Unwrap(type)) is { Kind: JsonTypeInfoKind.Object } info
            ? info.Properties.Where(p => p.IsRequired && !o.TryGetProperty(p.Name, out _)).Select(p => p.Name).ToList()
            : [];

    /// <summary>The path, with the inner paths of nested reads (OneOrList, InlineOrFile) appended.</summary>
    private static string FullPath(JsonException e) =>
        (e.Path ?? "$") + (e.InnerException is JsonException inner ? FullPath(inner)[1..] : "");

    private static IEnumerable<object> Segments(string path)
    {
        foreach (Match m in PathSegment().Matches(path))
            yield return m.Groups["name"].Success ? m.Groups["name"].Value
                : m.Groups["quoted"].Success ? m.Groups["quoted"].Value.Replace("''", "'")
                : int.Parse(m.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\['(?<quoted>(?:[^']|'')*)'\]|\[(?<index>\d+)\]")]
    private static partial Regex PathSegment();

    private static Type Unwrap(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        // An inline config is the config's own object.
        return t.IsGenericType && t.GetGenericTypeDefinition() == typeof(InlineOrFile<>) ? t.GetGenericArguments()[0] : t;
    }

    private static Type? ElementType(Type t, JsonSerializerOptions options)
    {
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(OneOrList<>)) return t.GetGenericArguments()[0];
        return options.GetTypeInfo(t) is { Kind: JsonTypeInfoKind.Enumerable } info ? info.ElementType : null;
    }

    // null is never the problem (it means "not given" or is allowed), so it is not offered.
    private static string Describe(Type t, JsonElement? value)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (IsFloat(t) && value is { ValueKind: JsonValueKind.String } s && NonFinite(s) is not null) return "a finite number";
        if (IsFloat(t) && value is { ValueKind: JsonValueKind.Number } n && !(n.TryGetDouble(out var d) && double.IsFinite(d))) return "a finite number";
        return Name(t, plural: false);
    }

    private static string Name(Type t, bool plural)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        // Enums are read from their numbers (e.g. PIL's resample codes).
        if (t == typeof(int) || t == typeof(long) || t.IsEnum) return plural ? "integers" : "an integer";
        if (IsFloat(t)) return plural ? "numbers" : "a number";
        if (t == typeof(bool)) return plural ? "true/false values" : "true or false";
        if (t == typeof(string)) return plural ? "strings" : "a string";
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(OneOrList<>))
        {
            var item = t.GetGenericArguments()[0];
            return plural ? $"{Name(item, true)} or lists of them" : $"{Name(item, false)} or a list of {Name(item, true)}";
        }
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(InlineOrFile<>)) return plural ? "objects or file paths" : "a JSON object or a file path";
        var element = t.IsArray ? t.GetElementType()
            : t.IsGenericType && t.GetGenericArguments().Length == 1 && typeof(System.Collections.IEnumerable).IsAssignableFrom(t) ? t.GetGenericArguments()[0] : null;
        if (element is not null) return plural ? "lists" : $"a list of {Name(element, true)}";
        return plural ? "JSON objects" : "a JSON object";
    }

    /// <summary>The non-finite word a string holds, if any. GetString throws on an escaped lone surrogate ("\uDDDD", found by fuzzing): none then.</summary>
    private static string? NonFinite(JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.String) return null;
        try { return NonFiniteLiterals.Words.FirstOrDefault(w => w == v.GetString()); }
        catch (InvalidOperationException) { return null; }
    }

    private static bool IsFloat(Type t) => t == typeof(double) || t == typeof(float);

    /// <summary>The offending value, short: strings quoted, numbers and words as written, objects by kind.</summary>
    private static string Show(JsonElement? value)
    {
        if (value is not { } v) return "nothing";
        if (NonFinite(v) is { } word) return word;
        var text = v.ValueKind == JsonValueKind.Object ? "an object" : v.GetRawText();
        return text.Length <= 60 ? text : text[..57] + "...";
    }
}
