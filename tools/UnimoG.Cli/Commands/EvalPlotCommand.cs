using System.CommandLine;
using UnimoG.Mini.Bench;

namespace UnimoG.Cli;

/// <summary><c>unimog eval plot --log runs/stage2/train-log.json --out curve.png</c>: training curves as a PNG line plot.</summary>
internal static class EvalPlotCommand
{
    public static Command Create()
    {
        var logs = new Option<string[]>("--log") { Description = "a training log: train-log.json, a checkpoint's state.json, JSON lines, or a text log with 'step N/M name value' lines (repeatable)", Required = true, AllowMultipleArgumentsPerToken = true };
        var metrics = new Option<string[]>("--metric") { Description = "metric(s) to draw (repeatable; default loss, else every metric of the first log)", AllowMultipleArgumentsPerToken = true };
        var x = new Option<string>("--x") { Description = "x axis: step, seconds (wall) or cpu_seconds", DefaultValueFactory = _ => "step" };
        x.AcceptOnlyFromAmong("step", "seconds", "cpu_seconds");
        var logY = new Option<bool>("--log-y") { Description = "logarithmic y axis" };
        var smooth = new Option<int>("--smooth") { Description = "moving average over this many logged points (1 = none)", DefaultValueFactory = _ => 1 };
        var title = new Option<string?>("--title") { Description = "plot title" };
        var labels = new Option<string?>("--labels") { Description = "comma-separated names of the logs (default: their run folders)" };
        var output = new Option<string>("--out") { Description = "output PNG", Required = true };
        var size = new Option<string>("--size") { Description = "WIDTHxHEIGHT in pixels", DefaultValueFactory = _ => "800x480" };
        var command = new Command("plot", "Plot training curves (loss and other logged metrics) of one or more runs as a PNG.") { logs, metrics, x, logY, smooth, title, labels, output, size };
        command.SetAction(parse => Run(parse.GetValue(logs)!, parse.GetValue(metrics) ?? [], parse.GetValue(x)!, parse.GetValue(logY), parse.GetValue(smooth),
            parse.GetValue(title), parse.GetValue(labels), parse.GetValue(output)!, parse.GetValue(size)!));
        return command;
    }

    private static int Run(string[] paths, string[] metrics, string x, bool logY, int smooth, string? title, string? labels, string output, string size)
    {
        if (smooth < 1) throw new UsageException("--smooth must be at least 1");
        var dims = size.Split('x');
        if (dims.Length != 2 || !int.TryParse(dims[0], out var w) || !int.TryParse(dims[1], out var h) || w < 200 || h < 150 || w > 8000 || h > 8000)
            throw new UsageException($"--size: '{size}' is not WIDTHxHEIGHT between 200x150 and 8000x8000");
        var runs = paths.Select(TrainingLogs.Read).ToList();
        var names = labels?.Split(',', StringSplitOptions.TrimEntries);
        if (names is not null && names.Length != runs.Count) throw new UsageException($"--labels: {names.Length} names for {runs.Count} logs");
        if (metrics.Length == 0) metrics = runs.Any(r => r.Metrics.Contains("loss")) ? ["loss"] : runs[0].Metrics.ToArray();
        var series = new List<PlotSeries>();
        for (var i = 0; i < runs.Count; i++)
            foreach (var m in metrics)
            {
                var points = runs[i].Entries.Where(e => e.ContainsKey(m) && e.ContainsKey(x)).Select(e => (e[x], e[m])).ToList();
                if (points.Count == 0) continue;
                var name = names?[i] ?? runs[i].Name;
                series.Add(new PlotSeries(metrics.Length == 1 && runs.Count > 1 ? name : runs.Count == 1 ? m : $"{name}: {m}", LinePlot.MovingMean(points, smooth)));
            }
        if (series.Count == 0)
            throw new UsageException($"--metric: none of {string.Join(", ", metrics)} is logged against '{x}' in {string.Join(", ", paths)} (logged: {string.Join(", ", runs.SelectMany(r => r.Metrics).Distinct())})");
        var png = LinePlot.Render(series, new PlotOptions
        {
            Title = title ?? (runs.Count == 1 ? runs[0].Name : ""), XLabel = x.Replace('_', ' '), YLabel = metrics.Length == 1 ? metrics[0] : "", LogY = logY, Width = w, Height = h,
        });
        if (Path.GetDirectoryName(Path.GetFullPath(output)) is { } dir) Directory.CreateDirectory(dir);
        File.WriteAllBytes(output, png);
        Console.Out.WriteLine($"wrote {output} ({series.Count} series, {series.Sum(s => s.Points.Count)} points)");
        return 0;
    }
}
