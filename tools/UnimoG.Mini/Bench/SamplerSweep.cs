using System.Globalization;
using System.Text;

namespace UnimoG.Mini.Bench;

/// <summary>One sampler at one step count, as EmojiBench scored it.</summary>
public sealed record SweepPoint(string Sampler, int Steps, EmojiBenchReport Report)
{
    public double SecondsPerImage => Report.GenerationSeconds / Math.Max(1, Report.Prompts.Sum(p => p.Images.Count));
    public Interval Metric(EmojiBenchSubset subset, bool clipT)
    {
        var row = Report.Rows.Single(r => r.Subset == subset);
        return clipT ? row.Metrics.ClipT : row.Metrics.Recognition;
    }
}

/// <summary>
/// Quality per step (docs/sampling.md): EmojiBench reports of several samplers and step counts on the same prompts and
/// seeds, as one table (CLIP-T and recognition per subset with their 95 % intervals, paired differences to the
/// reference, seconds per image) and plots; and the default it implies. Two rules: the issue's (every mean within the
/// reference's interval, DDIM at 50 steps), which over 50 prompts is loose (DDIM itself passes at 10 steps); and the one
/// the default follows, on the same prompts and seeds (<see cref="Close"/>): no paired difference (CLIP-T and
/// recognition, every subset) significantly below zero, and none below -<see cref="Margin"/>. Either way a sampler is
/// chosen at N steps only if it passes at every larger step count measured too (one lucky count does not decide).
/// </summary>
public static class SamplerSweep
{
    public static IReadOnlyList<SweepPoint> Read(string dir)
    {
        var points = Directory.GetFiles(dir, "*.json").Select(EmojiBenchReport.ReadJson)
            .Select(r => new SweepPoint(r.Sampler, r.Steps, r)).OrderBy(p => p.Sampler, StringComparer.Ordinal).ThenBy(p => p.Steps).ToList();
        if (points.Count == 0) throw new FileNotFoundException($"no EmojiBench reports (*.json) in {dir}");
        var first = points[0].Report;
        foreach (var p in points)
            if (p.Report.PromptSeed != first.PromptSeed || p.Report.Seed != first.Seed || p.Report.ImagesPerPrompt != first.ImagesPerPrompt || p.Report.GuidanceScale != first.GuidanceScale)
                throw new InvalidDataException($"{p.Sampler} {p.Steps}: other prompts or generation settings than {points[0].Sampler} {points[0].Steps}");
        return points;
    }

    public static SweepPoint Reference(IReadOnlyList<SweepPoint> points, string sampler = "ddim", int steps = 50) =>
        points.FirstOrDefault(p => p.Sampler == sampler && p.Steps == steps) ?? throw new InvalidDataException($"no {sampler} {steps}-step report: the reference");

    /// <summary>Every metric of every subset not significantly below the reference's on the same prompts (paired).</summary>
    public static bool NotWorse(SweepPoint p, SweepPoint reference) =>
        ReferenceEquals(p, reference) || reference.Report.Rows.All(r => Paired(p, reference, r.Subset, true).High >= 0 && Paired(p, reference, r.Subset, false).High >= 0);

    /// <summary>The largest shortfall in a mean paired difference the default accepts (CLIP-T, and recognition as a rate).</summary>
    public const double Margin = 0.005;

    /// <summary><see cref="NotWorse"/>, and every paired mean difference at least -<see cref="Margin"/>.</summary>
    public static bool Close(SweepPoint p, SweepPoint reference) =>
        ReferenceEquals(p, reference) || (NotWorse(p, reference)
            && reference.Report.Rows.All(r => Paired(p, reference, r.Subset, true).Mean >= -Margin && Paired(p, reference, r.Subset, false).Mean >= -Margin));

    /// <summary>Every metric's mean of every subset inside the reference's interval.</summary>
    public static bool Matches(SweepPoint p, SweepPoint reference) =>
        reference.Report.Rows.All(r => new[] { true, false }.All(clipT =>
        {
            var mine = p.Metric(r.Subset, clipT).Mean;
            var theirs = reference.Metric(r.Subset, clipT);
            return mine >= theirs.Low && mine <= theirs.High;
        }));

    /// <summary>
    /// The fewest steps at which a sampler passes <paramref name="rule"/> at that and every larger step count measured
    /// (ties: the order of <paramref name="preference"/>).
    /// </summary>
    public static SweepPoint? Choose(IReadOnlyList<SweepPoint> points, SweepPoint reference, IReadOnlyList<string> preference, Func<SweepPoint, SweepPoint, bool> rule) =>
        points.Where(p => points.Where(q => q.Sampler == p.Sampler && q.Steps >= p.Steps).All(q => rule(q, reference)))
            .OrderBy(p => p.Steps).ThenBy(p => Rank(preference, p.Sampler)).FirstOrDefault();

    private static int Rank(IReadOnlyList<string> order, string s) => order.ToList().IndexOf(s) is var i and >= 0 ? i : order.Count;

    public static string Table(IReadOnlyList<SweepPoint> points, SweepPoint reference)
    {
        var subsets = reference.Report.Rows.Select(r => r.Subset).ToList();
        var sb = new StringBuilder();
        sb.Append("| sampler | steps |");
        foreach (var s in subsets)
        {
            var n = EmojiBenchTable.SubsetName(s);
            sb.Append(CultureInfo.InvariantCulture, $" {n} CLIP-T | {n} recognised | {n} CLIP-T - ref | {n} recognised - ref |");
        }
        sb.AppendLine(" s / image | means in ref interval | close (paired) |");
        sb.Append("|---|---:|").Append(string.Concat(Enumerable.Repeat("---:|---:|---:|---:|", subsets.Count))).AppendLine("---:|:---:|:---:|");
        foreach (var p in points)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {p.Sampler} | {p.Steps} |");
            foreach (var s in subsets)
                sb.Append(CultureInfo.InvariantCulture, $" {p.Metric(s, true)} | {p.Metric(s, false)} | {Diff(p, reference, s, true)} | {Diff(p, reference, s, false)} |");
            sb.AppendLine(CultureInfo.InvariantCulture, $" {p.SecondsPerImage:0.000} | {(Matches(p, reference) ? "yes" : "no")} | {(Close(p, reference) ? "yes" : "no")} |");
        }
        return sb.ToString();
    }

    private static string Diff(SweepPoint p, SweepPoint reference, EmojiBenchSubset s, bool clipT) =>
        ReferenceEquals(p, reference) ? "ref" : Paired(p, reference, s, clipT).ToSignedString();

    /// <summary>CLIP-T (or recognition) of <paramref name="p"/> minus the reference's, per prompt on the same prompts and seeds, bootstrapped.</summary>
    public static Interval Paired(SweepPoint p, SweepPoint reference, EmojiBenchSubset subset, bool clipT)
    {
        var d = EmojiBenchTable.Pair(p.Report, reference.Report, subset)
            .Select(x => EmojiBenchTable.MeanOf(x.A, i => clipT ? i.ClipT : i.Recognition) - EmojiBenchTable.MeanOf(x.B, i => clipT ? i.ClipT : i.Recognition)).ToList();
        return Bootstrap.Mean(d, reference.Report.Resamples, seed: (ulong)subset + 1);
    }

    /// <summary>CLIP-T and recognition (mean over the subsets) against steps, one line per sampler, with the reference's interval.</summary>
    public static byte[] Plot(IReadOnlyList<SweepPoint> points, SweepPoint reference, bool clipT)
    {
        var subsets = reference.Report.Rows.Select(r => r.Subset).ToList();
        double Score(SweepPoint p, Func<Interval, double> pick) => subsets.Average(s => pick(p.Metric(s, clipT)));
        var series = points.GroupBy(p => p.Sampler).Select(g => new PlotSeries(g.Key, g.OrderBy(p => p.Steps).Select(p => ((double)p.Steps, Score(p, i => i.Mean))).ToList())).ToList();
        var (lo, hi) = (points.Min(p => p.Steps), points.Max(p => p.Steps));
        series.Add(new PlotSeries($"{reference.Sampler}-{reference.Steps} 95 % low", [(lo, Score(reference, i => i.Low)), (hi, Score(reference, i => i.Low))]));
        series.Add(new PlotSeries($"{reference.Sampler}-{reference.Steps} 95 % high", [(lo, Score(reference, i => i.High)), (hi, Score(reference, i => i.High))]));
        var metric = clipT ? "CLIP-T" : "recognised";
        return LinePlot.Render(series, new PlotOptions
        {
            Title = $"EmojiBench {metric} per step (mean of {string.Join(" and ", subsets.Select(EmojiBenchTable.SubsetName))}), unimog-mini",
            XLabel = "steps", YLabel = metric, Width = 720, Height = 420,
        });
    }

    /// <summary>The paired CLIP-T difference to the reference (mean over the subsets) against steps, with 0 and -<see cref="Margin"/>.</summary>
    public static byte[] PairedPlot(IReadOnlyList<SweepPoint> points, SweepPoint reference)
    {
        var subsets = reference.Report.Rows.Select(r => r.Subset).ToList();
        var series = points.Where(p => !ReferenceEquals(p, reference)).GroupBy(p => p.Sampler)
            .Select(g => new PlotSeries(g.Key, g.OrderBy(p => p.Steps).Select(p => ((double)p.Steps, subsets.Average(s => Paired(p, reference, s, true).Mean))).ToList())).ToList();
        var (lo, hi) = (points.Min(p => p.Steps), points.Max(p => p.Steps));
        series.Add(new PlotSeries("0 (as DDIM-50)", [(lo, 0), (hi, 0)]));
        series.Add(new PlotSeries($"-{Margin} (the default's margin)", [(lo, -Margin), (hi, -Margin)]));
        return LinePlot.Render(series, new PlotOptions
        {
            Title = $"CLIP-T minus {reference.Sampler}-{reference.Steps}'s on the same prompts and seeds (mean of the subsets)",
            XLabel = "steps", YLabel = "paired CLIP-T difference", Width = 720, Height = 420,
        });
    }
}
