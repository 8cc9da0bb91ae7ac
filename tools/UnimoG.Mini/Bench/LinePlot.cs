using System.Globalization;
using SkiaSharp;

namespace UnimoG.Mini.Bench;

/// <summary>One line of a plot.</summary>
public sealed record PlotSeries(string Label, IReadOnlyList<(double X, double Y)> Points);

/// <summary>How a plot looks.</summary>
public sealed record PlotOptions
{
    public string Title { get; init; } = "";
    public string XLabel { get; init; } = "step";
    public string YLabel { get; init; } = "";
    /// <summary>Logarithmic y axis (non-positive values are left out).</summary>
    public bool LogY { get; init; }
    public int Width { get; init; } = 800;
    public int Height { get; init; } = 480;
}

/// <summary>
/// A small line-plot renderer (SkiaSharp): axes with "nice" ticks (1, 2, 5 x 10^k; decades on a log axis), one
/// coloured polyline per series, a legend. For training curves (<c>unimog eval plot</c>).
/// </summary>
public static class LinePlot
{
    private static readonly SKColor[] Palette =
    [
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40), new(148, 103, 189),
        new(140, 86, 75), new(227, 119, 194), new(127, 127, 127), new(188, 189, 34), new(23, 190, 207),
    ];

    public static byte[] Render(IReadOnlyList<PlotSeries> series, PlotOptions o)
    {
        if (series.Count == 0) throw new ArgumentException("nothing to plot: no series");
        if (o.Width < 200 || o.Height < 150) throw new ArgumentOutOfRangeException(nameof(o), $"{o.Width}x{o.Height}: a plot needs at least 200x150 pixels");
        var kept = series.Select(s => s with { Points = s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!o.LogY || p.Y > 0)).ToList() }).ToList();
        var all = kept.SelectMany(s => s.Points).ToList();
        if (all.Count == 0) throw new ArgumentException("nothing to plot: no finite points" + (o.LogY ? " above 0 (log axis)" : ""));
        double Ty(double y) => o.LogY ? Math.Log10(y) : y;
        var (xLo, xHi) = Range(all.Select(p => p.X));
        var (yLo, yHi) = Range(all.Select(p => Ty(p.Y)));
        var xTicks = Ticks(xLo, xHi, 6);
        var yTicks = o.LogY ? DecadeTicks(yLo, yHi) : Ticks(yLo, yHi, 6);
        (yLo, yHi) = (Math.Min(yLo, yTicks[0]), Math.Max(yHi, yTicks[^1]));
        (xLo, xHi) = (Math.Min(xLo, xTicks[0]), Math.Max(xHi, xTicks[^1]));

        const float left = 70, right = 20, top = 36, bottom = 50;
        var legendRows = kept.Count;
        var plotH = o.Height - top - bottom - 0f;
        using var c = new Canvas(o.Width, o.Height);
        var plotW = o.Width - left - right;
        float X(double x) => left + (float)((x - xLo) / (xHi - xLo) * plotW);
        float Y(double ty) => top + (float)((yHi - ty) / (yHi - yLo) * plotH);

        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, IsStroke = true, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(225, 225, 225), StrokeWidth = 1, IsStroke = true };
        foreach (var t in xTicks)
        {
            c.Draw.DrawLine(X(t), top, X(t), top + plotH, grid);
            c.Text(Label(t), X(t), top + plotH + 16, 11, SKColors.Black, SKTextAlign.Center);
        }
        foreach (var t in yTicks)
        {
            c.Draw.DrawLine(left, Y(t), left + plotW, Y(t), grid);
            c.Text(o.LogY ? Label(Math.Pow(10, t)) : Label(t), left - 6, Y(t) + 4, 11, SKColors.Black, SKTextAlign.Right);
        }
        c.Draw.DrawRect(left, top, plotW, plotH, axis);
        c.Text(o.Title, o.Width / 2f, 22, 15, SKColors.Black, SKTextAlign.Center);
        c.Text(o.XLabel, left + plotW / 2, o.Height - 12, 12, SKColors.Black, SKTextAlign.Center);
        if (o.YLabel.Length > 0)
        {
            c.Draw.Save();
            c.Draw.RotateDegrees(-90, 16, top + plotH / 2);
            c.Text(o.YLabel + (o.LogY ? " (log)" : ""), 16, top + plotH / 2 + 4, 12, SKColors.Black, SKTextAlign.Center);
            c.Draw.Restore();
        }

        c.Draw.Save();
        c.Draw.ClipRect(new SKRect(left, top, left + plotW, top + plotH));
        for (var i = 0; i < kept.Count; i++)
        {
            using var pen = new SKPaint { Color = Palette[i % Palette.Length], StrokeWidth = 1.8f, IsStroke = true, IsAntialias = true };
            var pts = kept[i].Points.OrderBy(p => p.X).Select(p => new SKPoint(X(p.X), Y(Ty(p.Y)))).ToArray();
            if (pts.Length == 1)
            {
                using var dot = new SKPaint { Color = pen.Color, IsAntialias = true };
                c.Draw.DrawCircle(pts[0], 3, dot);
            }
            else if (pts.Length > 1)
            {
                for (var k = 1; k < pts.Length; k++) c.Draw.DrawLine(pts[k - 1], pts[k], pen);
            }
        }
        c.Draw.Restore();

        // Legend: top right inside the plot, on a white box.
        var legendW = Math.Min(plotW - 10, kept.Max(s => MeasureLegend(s.Label)) + 34);
        using var box = new SKPaint { Color = new SKColor(255, 255, 255, 230) };
        c.Draw.DrawRect(left + plotW - legendW - 6, top + 6, legendW, legendRows * 16 + 6, box);
        for (var i = 0; i < kept.Count; i++)
        {
            var y = top + 18 + i * 16;
            using var pen = new SKPaint { Color = Palette[i % Palette.Length], StrokeWidth = 2.5f, IsStroke = true };
            c.Draw.DrawLine(left + plotW - legendW, y - 4, left + plotW - legendW + 20, y - 4, pen);
            c.Text(Canvas.Fit(kept[i].Label, legendW - 30, 11), left + plotW - legendW + 26, y, 11, SKColors.Black);
        }
        return c.Png();
    }

    /// <summary>Trailing moving mean over <paramref name="window"/> points (the first points average what there is); 1 = none.</summary>
    public static IReadOnlyList<(double X, double Y)> MovingMean(IReadOnlyList<(double X, double Y)> points, int window)
    {
        if (window <= 1) return points;
        var result = new List<(double, double)>(points.Count);
        double sum = 0;
        for (var i = 0; i < points.Count; i++)
        {
            sum += points[i].Y;
            if (i >= window) sum -= points[i - window].Y;
            result.Add((points[i].X, sum / Math.Min(i + 1, window)));
        }
        return result;
    }

    private static float MeasureLegend(string label)
    {
        using var font = Canvas.Font(11);
        return font.MeasureText(label);
    }

    private static (double Lo, double Hi) Range(IEnumerable<double> values)
    {
        var list = values.ToList();
        var (lo, hi) = (list.Min(), list.Max());
        if (hi - lo < 1e-12 * Math.Max(1, Math.Abs(hi))) (lo, hi) = (lo - 0.5 * Math.Max(1e-9, Math.Abs(lo)), hi + 0.5 * Math.Max(1e-9, Math.Abs(hi)));
        return (lo, hi);
    }

    /// <summary>Ticks at multiples of a 1, 2 or 5 x 10^k step covering [lo, hi] with about <paramref name="count"/> intervals.</summary>
    public static double[] Ticks(double lo, double hi, int count)
    {
        var raw = (hi - lo) / count;
        var mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(f => f * mag).First(s => s >= raw * 0.999);
        var first = Math.Floor(lo / step + 1e-9) * step;
        var last = Math.Ceiling(hi / step - 1e-9) * step;
        var n = (int)Math.Round((last - first) / step);
        return Enumerable.Range(0, n + 1).Select(i => first + i * step).Select(t => Math.Abs(t) < step * 1e-9 ? 0 : t).ToArray();
    }

    private static double[] DecadeTicks(double lo, double hi)
    {
        var (a, b) = ((int)Math.Floor(lo), (int)Math.Ceiling(hi));
        if (a == b) b = a + 1;
        return Enumerable.Range(a, b - a + 1).Select(i => (double)i).ToArray();
    }

    private static string Label(double v)
    {
        var a = Math.Abs(v);
        return a == 0 ? "0"
            : a >= 1e5 || a < 1e-3 ? v.ToString("0.#e0", CultureInfo.InvariantCulture)
            : v.ToString("0.####", CultureInfo.InvariantCulture);
    }
}
