using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace UnimoG.Fuzz.Tests;

/// <summary>What a <see cref="JsonEdit"/> does to the node it picks.</summary>
public enum JsonEditKind { Replace, Remove, AddUnknownKey, WrapInArray, CopyOther }

/// <summary>One structural mutation of a JSON document: node <see cref="Node"/> (modulo the node count), a value from <see cref="JsonEdits.Values"/>.</summary>
public sealed record JsonEdit(JsonEditKind Kind, int Node, int Value, int Other)
{
    public override string ToString() => $"{Kind}@{Node}:{Value}:{Other}";
}

/// <summary>Structural edits of JSON (wrong types, missing and unknown keys, extremes) applied to a parsed corpus file.</summary>
public static class JsonEdits
{
    private const string NaN = "__fuzz_nan__", Inf = "__fuzz_inf__";

    /// <summary>Values that break readers: every JSON type, number extremes, Python's bare NaN/Infinity, depth, size.</summary>
    public static readonly string[] Values =
    [
        "null", "true", "false", "\"\"", "\"x\"", "0", "-1", "1", "1.5", "-0.0", "1e308", "-1e308", "1e-320", "1e400", "2147483648",
        "-2147483649", "9223372036854775808", "18446744073709551616", "[]", "{}", "[1, 2]", "{\"a\": 1}", "[null]", "[[]]",
        $"\"{NaN}\"", $"\"{Inf}\"", "\"NaN\"", "\"-Infinity\"", "\"\\u0000\"", "\"../../../../etc/passwd\"", "\"/dev/zero\"",
        "\"a\\u0000b\"", "\"" + new string('x', 5000) + "\"", new string('[', 70) + new string(']', 70),
        "{\"_class_name\": \"UNet2DConditionModel\"}", "[0.5, 0, -1]", "\"cosine\"", "\"cache\"", "65536", "8",
    ];

    public static Gen<JsonEdit> Edit { get; } =
        from kind in Gen.Frequency((6, Gen.Constant(JsonEditKind.Replace)), (3, Gen.Constant(JsonEditKind.Remove)),
            (1, Gen.Constant(JsonEditKind.AddUnknownKey)), (1, Gen.Constant(JsonEditKind.WrapInArray)), (1, Gen.Constant(JsonEditKind.CopyOther)))
        from node in Gen.Choose(0, 100_000)
        from value in Gen.Choose(0, Values.Length - 1)
        from other in Gen.Choose(0, 100_000)
        select new JsonEdit(kind, node, value, other);

    public static Gen<JsonEdit[]> Edits { get; } = Gen.Frequency((4, Gen.Choose(1, 2)), (1, Gen.Choose(3, 6))).SelectMany(n => Edit.ArrayOf(n));

    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 256 };

    /// <summary>The document edited, as text (Python's bare NaN and Infinity put back where edits placed them).</summary>
    public static string Apply(string json, IEnumerable<JsonEdit> edits)
    {
        var root = JsonNode.Parse(json, documentOptions: Lenient)!;
        foreach (var e in edits) root = Apply(root, e);
        return root.ToJsonString(new JsonSerializerOptions { MaxDepth = 256 })
            .Replace($"\"{NaN}\"", "NaN", StringComparison.Ordinal).Replace($"\"{Inf}\"", "-Infinity", StringComparison.Ordinal);
    }

    private static JsonNode Apply(JsonNode root, JsonEdit e)
    {
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var node = nodes[e.Node % nodes.Count];
        var value = JsonNode.Parse(Values[e.Value], documentOptions: Lenient);
        switch (e.Kind)
        {
            case JsonEditKind.Replace: return Replace(root, node, value);
            case JsonEditKind.Remove when node.Parent is JsonObject o: o.Remove(node.GetPropertyName()); break;
            case JsonEditKind.Remove when node.Parent is JsonArray a: a.Remove(node); break;
            case JsonEditKind.AddUnknownKey when node is JsonObject o: o[$"fuzz_{e.Other % 3}"] = value; break;
            case JsonEditKind.WrapInArray: return Replace(root, node, new JsonArray(node.DeepClone()));
            case JsonEditKind.CopyOther: return Replace(root, node, nodes[e.Other % nodes.Count].DeepClone());
        }
        return root;
    }

    private static JsonNode Replace(JsonNode root, JsonNode node, JsonNode? value)
    {
        switch (node.Parent)
        {
            case JsonObject o: o[node.GetPropertyName()] = value; return root;
            case JsonArray a: a[node.GetElementIndex()] = value; return root;
            default: return value ?? JsonValue.Create(0); // the root itself
        }
    }

    private static void Collect(JsonNode? node, List<JsonNode> nodes)
    {
        if (node is null) return;
        nodes.Add(node);
        if (node is JsonObject o) foreach (var (_, v) in o.ToList()) Collect(v, nodes);
        else if (node is JsonArray a) foreach (var v in a.ToList()) Collect(v, nodes);
    }
}
