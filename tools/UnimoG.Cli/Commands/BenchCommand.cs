using System.CommandLine;

namespace UnimoG.Cli;

/// <summary><c>unimog bench ...</c>: benchmarks (not tests). Results go in docs/benchmarks.md.</summary>
internal static class BenchCommand
{
    /// <summary>The benchmarks, one line each.</summary>
    private static IEnumerable<Command> Benchmarks() =>
    [
        BenchUNet.Create(),
        BenchServices.EndToEnd(),
        BenchServices.Batching(),
        BenchServices.Previews(),
        BenchStream.Create(),
        BenchTrain.Create(),
        BenchPrecision.Create(),
        BenchAllReduce.Create(),
    ];

    public static Command Create()
    {
        var command = new Command("bench", "Measure latency and memory of model components.");
        foreach (var b in Benchmarks()) command.Subcommands.Add(b);
        return command;
    }

    /// <summary>Resident and peak resident memory of this process (VmRSS, VmHWM), in bytes.</summary>
    public static (long Rss, long Peak) Memory()
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kb(line);
        }
        return (rss, peak);

        static long Kb(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    /// <summary>The 1-minute load average: other processes on the machine skew timings.</summary>
    public static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
