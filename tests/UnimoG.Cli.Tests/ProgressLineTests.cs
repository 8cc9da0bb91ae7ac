namespace UnimoG.Cli.Tests;

/// <summary>The progress line of long verbs: when it prints, what it says, and its estimate of the time left.</summary>
public class ProgressLineTests
{
    [Fact]
    public void Redirected_it_prints_a_line_every_interval_with_the_time_left_at_the_rate_so_far()
    {
        var now = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        using var writer = new StringWriter();
        var line = new ProgressLine(writer, terminal: false, TimeSpan.FromSeconds(10), () => now);
        Assert.True(line.Report(10, 1000, "steps"));            // the first report shows at once (no rate yet)
        now = now.AddSeconds(4);
        Assert.False(line.Report(50, 1000, "steps"));           // within the interval: nothing
        now = now.AddSeconds(6);
        // 90 steps in 10 s since the first report: the 900 left take 100 s
        Assert.True(line.Report(100, 1000, "steps", () => "loss 0.5"));
        now = now.AddSeconds(1);
        Assert.True(line.Report(1000, 1000, "steps"));          // the last one always shows
        line.WriteLine("a log line");
        Assert.Equal(["10/1000 steps", "100/1000 steps loss 0.5, ETA 1m40s", "1000/1000 steps", "a log line"],
            writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void On_a_terminal_it_redraws_one_line_with_a_bar_and_keeps_other_lines_above_it()
    {
        var now = DateTime.UnixEpoch;
        using var writer = new StringWriter();
        var line = new ProgressLine(writer, terminal: true, clock: () => now);
        line.Report(0, 8, "latents");
        now = now.AddSeconds(1);
        line.Report(2, 8, "latents");
        line.WriteLine("log");
        line.Finish();
        const string Clear = "\r\u001b[K";
        Assert.Equal($"{Clear}[{new string('.', 24)}]   0% 0/8 latents"
            + $"{Clear}[{new string('#', 6)}{new string('.', 18)}]  25% 2/8 latents, ETA 3s"
            + $"{Clear}log{Environment.NewLine}[{new string('#', 6)}{new string('.', 18)}]  25% 2/8 latents, ETA 3s{Environment.NewLine}", writer.ToString());
    }

    [Theory]
    [InlineData(0.4, "0s")]
    [InlineData(59, "59s")]
    [InlineData(200, "3m20s")]
    [InlineData(3725, "1h02m")]
    public void Durations_read_like_a_clock(double seconds, string shown) => Assert.Equal(shown, ProgressLine.Duration(seconds));
}
