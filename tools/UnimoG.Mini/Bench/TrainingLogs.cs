using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace UnimoG.Mini.Bench;

/// <summary>One run's logged metrics: a list of entries (step, seconds, loss, ...), in log order.</summary>
public sealed record TrainingLog(string Name, string Path, IReadOnlyList<IReadOnlyDictionary<string, double>> Entries)
{
    /// <summary>Metric names present in any entry, besides the x axes.</summary>
    public IReadOnlyList<string> Metrics => Entries.SelectMany(e => e.Keys).Distinct().Where(k => k is not ("step" or "seconds" or "cpu_seconds")).Order(StringComparer.Ordinal).ToList();
}

/// <summary>
/// Reads what the trainers log, for plots:
/// <list type="bullet">
/// <item>the mini trainers' <c>train-log.json</c> and a checkpoint's <c>state.json</c>: an object whose
/// <c>log</c> array holds per-interval means (<c>step</c>, <c>seconds</c>, <c>cpu_seconds</c>, <c>loss</c>, ...);</item>
/// <item>a JSON array of such objects, or JSON lines (one object per line);</item>
/// <item>text logs (<c>train.log</c>, the U-Net trainer's console): lines with <c>step N/M</c> (or <c>step N</c>) followed by
/// <c>name value</c> pairs (<c>loss 0.1123 mse 0.1101 lr 0.0001</c>); a parenthesised tail (timings) is ignored.</item>
/// </list>
/// Entries of a resumed run that a later resume logged again are dropped (<see cref="Resumed"/>).
/// </summary>
public static partial class TrainingLogs
{
    public static TrainingLog Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no such training log: {path}", path);
        var text = File.ReadAllText(path);
        var start = text.TrimStart();
        // A text log's lines may start with "[hh:mm:ss]": '[' is JSON only if it parses as JSON.
        var entries = start.StartsWith('{') || (start.StartsWith('[') && IsJson(text)) ? ReadJson(text, path) : ReadText(text);
        entries = Resumed(entries);
        if (entries.Count == 0)
            throw new InvalidDataException($"{path}: no logged metrics found (expected train-log.json/state.json with a 'log' array, JSON lines, or text lines 'step N/M name value ...')");
        return new TrainingLog(NameOf(path), path, entries);
    }

    /// <summary>
    /// A resumed run logs again from its checkpoint's step: an entry whose step is not after the last one kept replaces
    /// the kept entries from that step on (the run that continued is the one that counts).
    /// </summary>
    public static List<IReadOnlyDictionary<string, double>> Resumed(IReadOnlyList<IReadOnlyDictionary<string, double>> entries)
    {
        var kept = new List<IReadOnlyDictionary<string, double>>();
        foreach (var e in entries)
        {
            // kept steps increase, so the entries a resume replaces are at the end
            if (e.TryGetValue("step", out var step))
                while (kept.Count > 0 && kept[^1].TryGetValue("step", out var s) && s >= step) kept.RemoveAt(kept.Count - 1);
            kept.Add(e);
        }
        return kept;
    }

    /// <summary>The run's name: the folder for the usual file names (runs/stage2/train-log.json -> stage2), else the file name.</summary>
    public static string NameOf(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full) ?? "";
        var file = System.IO.Path.GetFileName(full);
        // A checkpoint's state.json: {run}/checkpoints/step-N/state.json (or {run}/checkpoint/state.json of older runs).
        if (file is "state.json" && System.IO.Path.GetFileName(dir).StartsWith("step-", StringComparison.Ordinal)) dir = System.IO.Path.GetDirectoryName(dir) ?? dir;
        if (file is "state.json" && System.IO.Path.GetFileName(dir) is "checkpoint" or "checkpoints") dir = System.IO.Path.GetDirectoryName(dir) ?? dir;
        return file is "train-log.json" or "state.json" or "train.log" or "metrics.jsonl" ? System.IO.Path.GetFileName(dir) : System.IO.Path.GetFileNameWithoutExtension(file);
    }

    private static List<IReadOnlyDictionary<string, double>> ReadJson(string text, string path)
    {
        var entries = new List<IReadOnlyDictionary<string, double>>();
        try
        {
            var trimmed = text.TrimStart();
            if (trimmed.StartsWith('{') && trimmed.Contains('\n') && LooksLikeJsonLines(trimmed))
            {
                foreach (var line in text.Split('\n').Where(l => l.Trim().Length > 0))
                    using (var doc = JsonDocument.Parse(line))
                        if (Entry(doc.RootElement) is { Count: > 0 } e) entries.Add(e);
                return entries;
            }
            using var root = JsonDocument.Parse(text);
            if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) && root.RootElement.ValueKind == JsonValueKind.Object)
                return Entry(root.RootElement) is { Count: > 0 } one ? [one] : entries;   // JSON lines of one line
            var array = root.RootElement.ValueKind == JsonValueKind.Array ? root.RootElement
                : root.RootElement.TryGetProperty("log", out var log) && log.ValueKind == JsonValueKind.Array ? log
                : throw new InvalidDataException($"{path}: a JSON object without a 'log' array");
            foreach (var item in array.EnumerateArray())
                if (Entry(item) is { Count: > 0 } e) entries.Add(e);
            return entries;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool LooksLikeJsonLines(string text)
    {
        var lines = text.Split('\n').Where(l => l.Trim().Length > 0).Take(2).ToList();
        return lines.Count == 2 && lines.All(l => l.TrimStart().StartsWith('{') && l.TrimEnd().EndsWith('}'));
    }

    private static Dictionary<string, double>? Entry(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) return null;
        var d = new Dictionary<string, double>();
        foreach (var p in e.EnumerateObject())
            if (p.Value.ValueKind == JsonValueKind.Number) d[p.Name] = p.Value.GetDouble();
        return d;
    }

    [GeneratedRegex(@"\bstep (\d+)(?:/\d+)?\b(.*)$")]
    private static partial Regex StepLine();

    private static List<IReadOnlyDictionary<string, double>> ReadText(string text)
    {
        var entries = new List<IReadOnlyDictionary<string, double>>();
        foreach (var line in text.Split('\n'))
        {
            var m = StepLine().Match(line);
            if (!m.Success) continue;
            var rest = m.Groups[2].Value;
            var paren = rest.IndexOf(" (", StringComparison.Ordinal);
            if (paren >= 0) rest = rest[..paren];
            var tokens = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var d = new Dictionary<string, double> { ["step"] = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) };
            for (var i = 0; i + 1 < tokens.Length; i++)
                if (char.IsLetter(tokens[i][0]) && double.TryParse(tokens[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                {
                    d[tokens[i]] = v;
                    i++;
                }
            if (d.Count > 1) entries.Add(d);
        }
        return entries;
    }
}
