using System.Diagnostics;
using System.Text;

namespace UnimoG.Cli.Tests;

/// <summary>
/// <c>mpirun -np N dotnet unimog.dll ...</c> on this machine, the ranks sharing its cores (--oversubscribe,
/// --bind-to none; CI runs as root, hence --allow-run-as-root), output captured line by line.
/// </summary>
internal sealed class Mpirun : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public static bool Available =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, "mpirun")))
        && File.Exists("/usr/lib/x86_64-linux-gnu/libmpi.so.40");

    public Mpirun(int ranks, params string[] args)
    {
        var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var start = new ProcessStartInfo("mpirun",
            ["--oversubscribe", "--allow-run-as-root", "--bind-to", "none", "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture),
             host, Path.Combine(AppContext.BaseDirectory, "unimog.dll"), .. args])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>Waits until the output contains <paramref name="text"/> (true) or the job ends or time runs out (false).</summary>
    public bool WaitFor(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (Output.Contains(text, StringComparison.Ordinal)) return true;
            if (_process.HasExited) return Output.Contains(text, StringComparison.Ordinal);
            Thread.Sleep(100);
        }
        return false;
    }

    /// <summary>Waits for the job's end: its exit code and how long after <paramref name="since"/> (or the start) it ended; null on time-out.</summary>
    public (int ExitCode, TimeSpan Took)? Wait(TimeSpan timeout, TimeSpan? since = null)
    {
        if (!_process.WaitForExit(timeout)) return null;
        _process.WaitForExit();   // the rest of the redirected output
        return (_process.ExitCode, _clock.Elapsed - (since ?? TimeSpan.Zero));
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>The process id of rank <paramref name="rank"/>: the descendant whose environment says OMPI_COMM_WORLD_RANK=rank.</summary>
    public int RankProcess(int rank)
    {
        var marker = $"OMPI_COMM_WORLD_RANK={rank}\0";
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || !Descends(pid)) continue;
            try
            {
                if (Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "environ"))).Contains(marker, StringComparison.Ordinal)) return pid;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        throw new InvalidOperationException($"no process of rank {rank} under mpirun {Id}:\n{Output}");
    }

    private bool Descends(int pid)
    {
        for (var p = pid; p > 1;)
        {
            if (p == Id) return pid != Id;
            try
            {
                var stat = File.ReadAllText($"/proc/{p}/stat");
                p = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException) { return false; }
        }
        return false;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
