using UnimoG.EmojiWorld;
using UnimoG.EmojiWorld.Tests;
using UnimoG.Imaging;
using UnimoG.Mini.Bench;
using UnimoG.Mini.Tests.Support;

namespace UnimoG.Mini.Tests;

/// <summary>Line plots of training logs: trailing moving means, nice ticks, and each series drawn in its colour.</summary>
public class LinePlotTests
{
    [Fact]
    public void Smoothing_is_a_trailing_moving_mean()
    {
        var s = LinePlot.MovingMean([(1, 1.0), (2, 3.0), (3, 5.0), (4, 7.0)], 2);
        Assert.Equal([1.0, 2.0, 4.0, 6.0], s.Select(p => p.Y));
        Assert.Equal([1.0, 2.0, 3.0, 4.0], s.Select(p => p.X));
        Assert.Equal([1.0, 2.0, 3.0, 4.0], LinePlot.MovingMean([(1, 1.0), (2, 3.0), (3, 5.0), (4, 7.0)], 25).Select(p => p.Y)); // running mean while short
    }

    [Fact]
    public void Ticks_are_nice_numbers_covering_the_range()
    {
        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8, 1.0], LinePlot.Ticks(0, 1, 5).Select(t => Math.Round(t, 12)));
        Assert.Equal([0, 2000, 4000, 6000, 8000, 10000, 12000], LinePlot.Ticks(0, 12000, 6));
        Assert.Equal([0.1, 0.15, 0.2, 0.25, 0.3], LinePlot.Ticks(0.11, 0.29, 4).Select(t => Math.Round(t, 12)));
    }

    [Fact]
    public void A_plot_draws_each_series_in_its_colour()
    {
        var png = LinePlot.Render(
            [new PlotSeries("a", [(0, 1.0), (10, 0.5), (20, 0.25)]), new PlotSeries("b", [(0, 0.8), (20, 0.9)])],
            new PlotOptions { Title = "loss", Width = 400, Height = 300 });
        var image = ImageDecoder.Decode(png);
        Assert.Equal((400, 300), (image.Width, image.Height));
        Assert.True(Count(image, (31, 119, 180)) > 50, "the first series' blue line is missing");
        Assert.True(Count(image, (255, 127, 14)) > 50, "the second series' orange line is missing");
        Assert.Throws<ArgumentException>(() => LinePlot.Render([new PlotSeries("c", [(0, -1.0)])], new PlotOptions { LogY = true }));
    }

    private static int Count(DecodedImage image, (byte R, byte G, byte B) c)
    {
        var n = 0;
        for (var i = 0; i < image.Rgba.Length; i += 4)
            if (Math.Abs(image.Rgba[i] - c.R) <= 2 && Math.Abs(image.Rgba[i + 1] - c.G) <= 2 && Math.Abs(image.Rgba[i + 2] - c.B) <= 2) n++;
        return n;
    }
}
