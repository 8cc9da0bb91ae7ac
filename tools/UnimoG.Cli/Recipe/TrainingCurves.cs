using System.Globalization;
using System.Text.Json.Nodes;
using SkiaSharp;

namespace UnimoG.Cli.Recipe;

/// <summary>
/// Training curves as PNG (SkiaSharp), from the logged metrics: the U-Net runs' <c>metrics.jsonl</c> (every step,
/// smoothed over a window) and the pre-training runs' checkpoint logs (<c>checkpoint/state.json</c> "log").
/// </summary>
internal static class TrainingCurves
{
    public sealed record Series(string Label, IReadOnlyList<(double X, double Y)> Points, SKColor Colour);

    private static readonly SKColor[] Palette = [new(0x1f, 0x77, 0xb4), new(0xd6, 0x27, 0x28), new(0x2c, 0xa0, 0x2c), new(0x94, 0x67, 0xbd), new(0xff, 0x7f, 0x0e)];

    /// <summary>Writes curves.png files into <c>{work}/curves/</c>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(MiniRecipe r)
    {
        var dir = r.W("curves");
        Directory.CreateDirectory(dir);
        var written = new List<string>();
        var unet = new List<Series>();
        var attn = new List<Series>();
        var i = 0;
        foreach (var (_, run, label) in MiniRecipe.Variants.Reverse())
        {
            var path = Path.Combine(r.Run(run), "metrics.jsonl");
            if (!File.Exists(path)) continue;
            var rows = File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!).ToList();
            var offset = run == "unet-stage1" ? 0 : StepsOf(r, "unet-stage1");
            unet.Add(new(label, Smooth(rows.Select(x => ((double)x["step"]! + offset, (double)x["mse"]!)).ToList(), 25), Palette[i % Palette.Length]));
            var a = rows.Where(x => x["attn"] is not null).Select(x => ((double)x["step"]! + offset, (double)x["attn"]!)).ToList();
            if (a.Count > 0) attn.Add(new(label, Smooth(a, 25), Palette[i % Palette.Length]));
            i++;
        }
        if (unet.Count > 0) written.Add(Plot(Path.Combine(dir, "unet-mse.png"), "U-Net: MSE (moving mean of 25 steps) over steps, stage 2 after stage 1", unet, log: true));
        if (attn.Count > 0) written.Add(Plot(Path.Combine(dir, "unet-attn.png"), "stage 2: attention loss L_attn (moving mean of 25 steps)", attn, log: false));
        foreach (var (run, key, title) in new[] { ("vae", "l1", "VAE: L1 reconstruction loss"), ("mllm", "lm", "MLLM: language-model loss") })
        {
            var state = Path.Combine(r.Run(run), "checkpoint", "state.json");
            if (!File.Exists(state)) continue;
            var log = JsonNode.Parse(File.ReadAllText(state))!["log"]!.AsArray();
            var points = log.Where(x => x?[key] is not null).Select(x => ((double)x!["step"]!, (double)x[key]!)).ToList();
            if (points.Count > 1) written.Add(Plot(Path.Combine(dir, $"{run}.png"), title + " (means of 50 steps)", [new(run, points, Palette[0])], log: true));
        }
        return written;
    }

    private static long StepsOf(MiniRecipe r, string run)
    {
        var path = Path.Combine(r.Run(run), "run.json");
        return File.Exists(path) ? (long)JsonNode.Parse(File.ReadAllText(path))!["steps"]! : 0;
    }

    private static List<(double X, double Y)> Smooth(List<(double X, double Y)> points, int window)
    {
        var result = new List<(double, double)>();
        for (var k = 0; k < points.Count; k++)
        {
            var from = Math.Max(0, k - window + 1);
            result.Add((points[k].X, points.Skip(from).Take(k - from + 1).Average(p => p.Y)));
        }
        return result;
    }

    /// <summary>A line plot with axes, ticks, a title and a legend; y on a log scale when asked.</summary>
    public static string Plot(string path, string title, IReadOnlyList<Series> series, bool log)
    {
        const int w = 720, h = 400, left = 70, right = 20, top = 40, bottom = 50;
        var all = series.SelectMany(s => s.Points).Where(p => !log || p.Y > 0).ToList();
        double x0 = all.Min(p => p.X), x1 = Math.Max(all.Max(p => p.X), x0 + 1);
        double Ty(double y) => log ? Math.Log10(y) : y;
        double y0 = all.Min(p => Ty(p.Y)), y1 = all.Max(p => Ty(p.Y));
        if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
        var pad = (y1 - y0) * 0.05;
        (y0, y1) = (y0 - pad, y1 + pad);
        float X(double x) => (float)(left + (x - x0) / (x1 - x0) * (w - left - right));
        float Y(double y) => (float)(top + (1 - (Ty(y) - y0) / (y1 - y0)) * (h - top - bottom));
        using var bitmap = new SKBitmap(w, h, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, IsAntialias = true, Style = SKPaintStyle.Stroke };
        using var grid = new SKPaint { Color = new SKColor(0xdd, 0xdd, 0xdd), StrokeWidth = 1, Style = SKPaintStyle.Stroke };
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var typeface = Font();
        using var font = new SKFont(typeface, 12);
        using var titleFont = new SKFont(typeface, 14);
        canvas.DrawRect(left, top, w - left - right, h - top - bottom, axis);
        for (var t = 0; t <= 5; t++)
        {
            var xv = x0 + (x1 - x0) * t / 5;
            canvas.DrawLine(X(xv), top, X(xv), h - bottom, grid);
            canvas.DrawText(xv.ToString("0", CultureInfo.InvariantCulture), X(xv), h - bottom + 16, SKTextAlign.Center, font, ink);
            var yt = y0 + (y1 - y0) * t / 5;
            var yv = log ? Math.Pow(10, yt) : yt;
            var py = (float)(top + (1 - (yt - y0) / (y1 - y0)) * (h - top - bottom));
            canvas.DrawLine(left, py, w - right, py, grid);
            canvas.DrawText(yv.ToString(yv < 0.1 ? "0.0000" : "0.000", CultureInfo.InvariantCulture), left - 6, py + 4, SKTextAlign.Right, font, ink);
        }
        canvas.DrawText("step", (left + w - right) / 2f, h - 12, SKTextAlign.Center, font, ink);
        canvas.DrawText(title, left, top - 14, SKTextAlign.Left, titleFont, ink);
        for (var s = 0; s < series.Count; s++)
        {
            using var pen = new SKPaint { Color = series[s].Colour, StrokeWidth = 1.6f, IsAntialias = true, Style = SKPaintStyle.Stroke };
            var points = series[s].Points.Where(p => !log || p.Y > 0).ToList();
            for (var k = 1; k < points.Count; k++)
                canvas.DrawLine(X(points[k - 1].X), Y(points[k - 1].Y), X(points[k].X), Y(points[k].Y), pen);
            using var swatch = new SKPaint { Color = series[s].Colour };
            canvas.DrawRect(w - right - 250, top + 10 + s * 18, 14, 4, swatch);
            canvas.DrawText(series[s].Label, w - right - 230, top + 16 + s * 18, SKTextAlign.Left, font, ink);
        }
        canvas.Flush();
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    /// <summary>DejaVu Sans when installed (Debian's fonts-dejavu-core), else Skia's default.</summary>
    private static SKTypeface Font()
    {
        const string dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
        return (File.Exists(dejavu) ? SKTypeface.FromFile(dejavu) : null) ?? SKTypeface.Default;
    }
}
