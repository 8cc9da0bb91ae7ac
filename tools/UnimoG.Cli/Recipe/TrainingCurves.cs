using UnimoG.Mini.Bench;
using UnimoG.Mini.Training;

namespace UnimoG.Cli.Recipe;

/// <summary>
/// Training curves as PNG (<see cref="LinePlot"/>), from the logged metrics as <see cref="TrainingLogs"/> reads them:
/// the U-Net runs' <c>metrics.jsonl</c> (every step, smoothed over a window) and the pre-training runs' checkpoint
/// logs (<c>state.json</c> "log" of their newest checkpoint).
/// </summary>
internal static class TrainingCurves
{
    private const int Window = 25;

    /// <summary>Writes curves.png files into <c>{work}/curves/</c>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(MiniRecipe r)
    {
        var dir = r.W("curves");
        Directory.CreateDirectory(dir);
        var written = new List<string>();
        var unet = new List<PlotSeries>();
        var attn = new List<PlotSeries>();
        foreach (var (_, run, label) in MiniRecipe.Variants.Reverse())
        {
            var path = Path.Combine(r.Run(run), "metrics.jsonl");
            if (!File.Exists(path)) continue;
            var entries = TrainingLogs.Read(path).Entries;
            var offset = run == "unet-stage1" ? 0 : StepsOf(r, "unet-stage1");
            unet.Add(new(label, LinePlot.MovingMean(Points(entries, "mse", offset), Window)));
            var a = Points(entries, "attn", offset);
            if (a.Count > 0) attn.Add(new(label, LinePlot.MovingMean(a, Window)));
        }
        if (unet.Count > 0) written.Add(Plot(Path.Combine(dir, "unet-mse.png"), $"U-Net: MSE (moving mean of {Window} steps) over steps, stage 2 after stage 1", unet, log: true));
        if (attn.Count > 0) written.Add(Plot(Path.Combine(dir, "unet-attn.png"), $"stage 2: attention loss L_attn (moving mean of {Window} steps)", attn, log: false));
        foreach (var (run, key, title) in new[] { ("vae", "l1", "VAE: L1 reconstruction loss"), ("mllm", "lm", "MLLM: language-model loss") })
        {
            if (Checkpoint.StatePath(r.Run(run)) is not { } state) continue;
            var points = Points(TrainingLogs.Read(state).Entries, key, 0);
            if (points.Count > 1) written.Add(Plot(Path.Combine(dir, $"{run}.png"), title + " (means of 50 steps)", [new(run, points)], log: true));
        }
        return written;
    }

    private static List<(double X, double Y)> Points(IEnumerable<IReadOnlyDictionary<string, double>> entries, string metric, long offset) =>
        entries.Where(e => e.ContainsKey("step") && e.ContainsKey(metric)).Select(e => (e["step"] + offset, e[metric])).ToList();

    private static long StepsOf(MiniRecipe r, string run)
    {
        var path = Path.Combine(r.Run(run), "run.json");
        return File.Exists(path) ? (long)System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!["steps"]! : 0;
    }

    private static string Plot(string path, string title, IReadOnlyList<PlotSeries> series, bool log)
    {
        File.WriteAllBytes(path, LinePlot.Render(series, new PlotOptions { Title = title, LogY = log, Width = 720, Height = 400 }));
        return path;
    }
}
