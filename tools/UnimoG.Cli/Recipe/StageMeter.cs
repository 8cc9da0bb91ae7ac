using System.Diagnostics;
using System.Text.Json.Nodes;

namespace UnimoG.Cli.Recipe;

/// <summary>
/// Wall time, process CPU time, the machine's load average at start and end, and the process's peak RSS over one
/// stage (peak RSS is the process's high-water mark, VmHWM, so it includes earlier stages of the same process).
/// </summary>
public sealed class StageMeter
{
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly TimeSpan _cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly DateTime _started = DateTime.UtcNow;
    private readonly double? _load0 = LoadAverage();

    public static StageMeter Start() => new();

    public JsonObject Stop(string stage, StageOutcome outcome) => new()
    {
        ["stage"] = stage,
        ["outcome"] = outcome.ToString().ToLowerInvariant(),
        ["started_utc"] = _started.ToString("O"),
        ["finished_utc"] = DateTime.UtcNow.ToString("O"),
        ["wall_seconds"] = Math.Round(_wall.Elapsed.TotalSeconds, 1),
        ["cpu_seconds"] = Math.Round((Process.GetCurrentProcess().TotalProcessorTime - _cpu0).TotalSeconds, 1),
        ["load_average_start"] = _load0,
        ["load_average_end"] = LoadAverage(),
        ["peak_rss_mb"] = Math.Round(PeakRssMb(), 0),
        ["cores"] = Environment.ProcessorCount,
    };

    /// <summary>The 1-minute load average (Linux), or null elsewhere.</summary>
    public static double? LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static double PeakRssMb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0]) / 1024.0;
        }
        catch (IOException) { }
        return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
    }
}
