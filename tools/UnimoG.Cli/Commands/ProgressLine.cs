using System.Globalization;

namespace UnimoG.Cli;

/// <summary>
/// Progress of a long verb (train, encode-dataset, compose) with an estimate of the time left. On a terminal: one line
/// redrawn in place with a bar; redirected (logs, CI, pipes): a plain line every <c>every</c> (10 s), so a log shows the
/// run is alive without a carriage-return mess. Other lines go through <see cref="WriteLine"/>, which keeps the bar
/// below them. Thread-safe: signal handlers write too.
/// </summary>
internal sealed class ProgressLine(TextWriter writer, bool terminal, TimeSpan? every = null, Func<DateTime>? clock = null)
{
    private const int BarWidth = 24;
    private static readonly TimeSpan Redraw = TimeSpan.FromMilliseconds(200);
    private readonly object _gate = new();
    private readonly TimeSpan _every = every ?? TimeSpan.FromSeconds(10);
    private readonly Func<DateTime> _clock = clock ?? (() => DateTime.UtcNow);
    private (long Done, DateTime At)? _first;
    private DateTime _lastShown = DateTime.MinValue;
    private string? _bar;

    /// <summary>Standard output (or error); a bar only when it is a terminal.</summary>
    public static ProgressLine ForConsole(bool error = false) =>
        error ? new(Console.Error, !Console.IsErrorRedirected) : new(Console.Out, !Console.IsOutputRedirected);

    public bool Terminal => terminal;

    /// <summary>
    /// <paramref name="done"/> of <paramref name="total"/> <paramref name="unit"/>; <paramref name="details"/> are
    /// computed only when shown (e.g. a mean loss since the last line). Returns whether something was printed.
    /// </summary>
    public bool Report(long done, long total, string unit, Func<string>? details = null)
    {
        lock (_gate)
        {
            var now = _clock();
            _first ??= (done, now);
            var last = done >= total;
            if (now - _lastShown < (terminal ? Redraw : _every) && !last) return false;
            _lastShown = now;
            var eta = Eta(done, total, now);
            var text = $"{done}/{total} {unit}{(details?.Invoke() is { Length: > 0 } d ? " " + d : "")}{(eta is null ? "" : $", ETA {eta}")}";
            if (terminal)
            {
                var filled = total <= 0 ? 0 : (int)Math.Clamp(done * BarWidth / total, 0, BarWidth);
                var pct = total <= 0 ? 0 : 100.0 * done / total;
                _bar = $"[{new string('#', filled)}{new string('.', BarWidth - filled)}] {pct.ToString("0", CultureInfo.InvariantCulture),3}% {text}";
                writer.Write("\r\u001b[K" + _bar);
                if (last) { writer.WriteLine(); _bar = null; }
            }
            else
            {
                writer.WriteLine(text);
            }
            writer.Flush();
            return true;
        }
    }

    /// <summary>A line of its own (a log line, a message), above the bar.</summary>
    public void WriteLine(string line)
    {
        lock (_gate)
        {
            if (_bar is not null) writer.Write("\r\u001b[K");
            writer.WriteLine(line);
            if (_bar is not null) writer.Write(_bar);
            writer.Flush();
        }
    }

    /// <summary>Ends the bar's line (when the work stopped before its total).</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_bar is null) return;
            writer.WriteLine();
            writer.Flush();
            _bar = null;
        }
    }

    /// <summary>A new piece of work on the same line: ends the bar and forgets the rate.</summary>
    public void Restart()
    {
        lock (_gate)
        {
            Finish();
            _first = null;
            _lastShown = DateTime.MinValue;
        }
    }

    /// <summary>Time left at the rate since the first report (so loading time does not count); null until there is a rate.</summary>
    private string? Eta(long done, long total, DateTime now)
    {
        var (done0, at0) = _first!.Value;
        var seconds = (now - at0).TotalSeconds;
        if (done <= done0 || seconds <= 0 || done >= total) return null;
        return Duration((total - done) * seconds / (done - done0));
    }

    /// <summary>"45s", "3m20s", "1h02m".</summary>
    public static string Duration(double seconds)
    {
        var s = (long)Math.Round(Math.Max(0, seconds));
        return s < 60 ? $"{s}s" : s < 3600 ? $"{s / 60}m{s % 60:00}s" : $"{s / 3600}h{s / 60 % 60:00}m";
    }
}
