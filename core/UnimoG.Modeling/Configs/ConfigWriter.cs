using System.Text.Json;

namespace UnimoG.Modeling.Configs;

/// <summary>Writes config values back as diffusers-style JSON (keys sorted, two-space indent).</summary>
internal static class ConfigWriter
{
    public static string ToJson(string className, IEnumerable<(string Key, object? Value)> values)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("_class_name", className);
            foreach (var (key, value) in values.OrderBy(v => v.Key, StringComparer.Ordinal))
            {
                w.WritePropertyName(key);
                Write(w, value);
            }
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void Write(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case bool b: w.WriteBooleanValue(b); break;
            case int i: w.WriteNumberValue(i); break;
            case double d: w.WriteNumberValue(d); break;
            case string s: w.WriteStringValue(s); break;
            case IntOrList { Scalar: { } s }: w.WriteNumberValue(s); break;
            case IntOrList l: Write(w, l.Items); break;
            case LayerCounts { Scalar: { } s }: w.WriteNumberValue(s); break;
            case LayerCounts l: Write(w, l.Items); break;
            case System.Collections.IEnumerable e:
                w.WriteStartArray();
                foreach (var item in e) Write(w, item);
                w.WriteEndArray();
                break;
            default: throw new ArgumentException($"cannot write {value.GetType().Name} to a config");
        }
    }
}
