using System.Globalization;
using System.Text;

namespace UnimoG.Mini.Bench;

/// <summary>Markdown tables of EmojiBench reports: one model's, and several models side by side (the ablation table).</summary>
public static class EmojiBenchTable
{
    private const string Header = "| DINO | CLIP-I | CLIP-T | recognised |";
    private const string Rule = "|---:|---:|---:|---:|";

    public static string SubsetName(EmojiBenchSubset s) => s switch
    {
        EmojiBenchSubset.Seen => "seen",
        EmojiBenchSubset.HeldOut => "held-out",
        _ => "text",
    };

    /// <summary>"0.612 [0.598, 0.627]", or "-" when the metric is undefined for the set.</summary>
    public static string Cell(Interval? i) => i is null
        ? "-"
        : string.Create(CultureInfo.InvariantCulture, $"{i.Mean:0.000} [{i.Low:0.000}, {i.High:0.000}]");

    private static string Metrics(EmojiBenchMetricSet m) => $"| {Cell(m.Dino)} | {Cell(m.ClipI)} | {Cell(m.ClipT)} | {Cell(m.Recognition)} |";

    /// <summary>One model: a row per subset, then the calibration rows, then the settings.</summary>
    public static string Single(EmojiBenchReport r)
    {
        var sb = new StringBuilder();
        sb.Append("| model | subset | prompts | images ").AppendLine(Header);
        sb.Append("|---|---|---:|---:").AppendLine(Rule);
        foreach (var row in r.Rows.Concat(r.ReferenceRows))
            sb.Append(CultureInfo.InvariantCulture, $"| {(row.Source == "model" ? r.Label : row.Source)} | {SubsetName(row.Subset)} | {row.Prompts} | {row.Images} ").AppendLine(Metrics(row.Metrics));
        sb.AppendLine();
        sb.AppendLine(Settings(r));
        return sb.ToString();
    }

    /// <summary>
    /// Several models on the same prompts: one table per subset, a row per model (in the given order), then the
    /// calibration rows of the first report that has them. Reports of different prompt choices or settings are refused.
    /// </summary>
    public static string Compare(IReadOnlyList<EmojiBenchReport> reports)
    {
        if (reports.Count == 0) throw new ArgumentException("no reports to compare");
        var first = reports[0];
        foreach (var r in reports.Skip(1))
        {
            if (r.PromptSeed != first.PromptSeed)
                throw new InvalidDataException($"report '{r.Label}' used prompt seed {r.PromptSeed}, '{first.Label}' {first.PromptSeed}: not the same prompts");
            if (r.Steps != first.Steps || r.Sampler != first.Sampler || r.GuidanceScale != first.GuidanceScale || r.ImagesPerPrompt != first.ImagesPerPrompt || r.Seed != first.Seed)
                throw new InvalidDataException($"report '{r.Label}' ({Settings(r)}) and '{first.Label}' ({Settings(first)}) differ in generation settings");
        }
        var sb = new StringBuilder();
        var subsets = reports.SelectMany(r => r.Rows.Select(x => x.Subset)).Distinct().Order().ToList();
        foreach (var subset in subsets)
        {
            var rows = reports.Select(r => (r.Label, Row: r.Rows.FirstOrDefault(x => x.Subset == subset))).Where(x => x.Row is not null).ToList();
            var counts = rows.Select(x => x.Row!.Prompts).Distinct().ToList();
            if (counts.Count > 1)
                throw new InvalidDataException($"subset {SubsetName(subset)}: the reports ran different numbers of prompts ({string.Join(", ", rows.Select(x => $"{x.Label}: {x.Row!.Prompts}"))})");
            sb.AppendLine(CultureInfo.InvariantCulture, $"**{SubsetName(subset)}** ({counts[0]} prompts, {rows[0].Row!.Images} images per model)");
            sb.AppendLine();
            sb.Append("| model ").AppendLine(Header);
            sb.Append("|---").AppendLine(Rule);
            foreach (var (label, row) in rows)
                sb.Append(CultureInfo.InvariantCulture, $"| {label} ").AppendLine(Metrics(row!.Metrics));
            var calibration = reports.Select(r => r.ReferenceRows.Where(x => x.Subset == subset).ToList()).FirstOrDefault(x => x.Count > 0) ?? [];
            foreach (var row in calibration)
                sb.Append(CultureInfo.InvariantCulture, $"| *{row.Source}* ").AppendLine(Metrics(row.Metrics));
            sb.AppendLine();
        }
        sb.AppendLine(Settings(first));
        if (reports.Count > 1 && reports.All(r => r.Prompts.Count > 0)) sb.AppendLine().Append(PairedDifferences(reports));
        return sb.ToString();
    }

    /// <summary>
    /// The first model minus each other one, prompt by prompt: the models saw the same prompts, so the per-prompt
    /// differences cancel the prompts' own difficulty and their interval is much narrower than the two rows' intervals
    /// suggest. Mean over prompts of (first's mean over its images - other's), percentile bootstrap over prompts.
    /// </summary>
    public static string PairedDifferences(IReadOnlyList<EmojiBenchReport> reports)
    {
        var first = reports[0];
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"**paired differences** ({first.Label} minus each other model on the same prompts; 95 % percentile bootstrap over prompts)");
        sb.AppendLine();
        sb.Append("| subset | difference ").AppendLine(Header);
        sb.Append("|---|---").AppendLine(Rule);
        foreach (var subset in first.Prompts.Select(p => p.Subset).Distinct().Order())
            foreach (var other in reports.Skip(1))
            {
                var pairs = Pair(first, other, subset);
                Interval? Diff(Func<EmojiBenchImageScore, double?> metric)
                {
                    var d = pairs.Select(p => MeanOf(p.A, metric) - MeanOf(p.B, metric)).Where(v => !double.IsNaN(v)).ToList();
                    return d.Count == 0 ? null : Bootstrap.Mean(d, first.Resamples, seed: (ulong)subset + 1);
                }
                sb.Append(CultureInfo.InvariantCulture, $"| {SubsetName(subset)} | {first.Label} - {other.Label} ")
                  .AppendLine($"| {Cell(Diff(i => i.Dino))} | {Cell(Diff(i => i.ClipI))} | {Cell(Diff(i => i.ClipT))} | {Cell(Diff(i => i.Recognition))} |");
            }
        return sb.ToString();
    }

    internal static List<(EmojiBenchPromptResult A, EmojiBenchPromptResult B)> Pair(EmojiBenchReport a, EmojiBenchReport b, EmojiBenchSubset subset)
    {
        var theirs = b.Prompts.Where(p => p.Subset == subset).ToDictionary(p => p.Index);
        var ours = a.Prompts.Where(p => p.Subset == subset).ToList();
        if (theirs.Count != ours.Count)
            throw new InvalidDataException($"subset {SubsetName(subset)}: '{a.Label}' has {ours.Count} prompt results, '{b.Label}' {theirs.Count}");
        return ours.Select(p => theirs.TryGetValue(p.Index, out var q) && q.Text == p.Text
            ? (p, q)
            : throw new InvalidDataException($"subset {SubsetName(subset)}, prompt {p.Index} ('{p.Text}'): not in '{b.Label}'")).ToList();
    }

    internal static double MeanOf(EmojiBenchPromptResult p, Func<EmojiBenchImageScore, double?> metric)
    {
        var values = p.Images.Select(metric).Where(v => v is not null).Select(v => v!.Value).ToList();
        return values.Count == 0 ? double.NaN : values.Average();
    }

    private static string Settings(EmojiBenchReport r) => string.Create(CultureInfo.InvariantCulture,
        $"{(r.Sampler == "ddim" ? "DDIM" : r.Sampler)} {r.Steps} steps, guidance {r.GuidanceScale:0.##}, {r.ImagesPerPrompt} images per prompt, seed {r.Seed}, prompt seed {r.PromptSeed}; 95 % intervals: percentile bootstrap over prompts ({r.Resamples} resamples).");
}
