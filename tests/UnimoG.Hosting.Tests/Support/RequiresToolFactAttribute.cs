using System.Diagnostics;

namespace UnimoG.Hosting.Tests.Support;

/// <summary>
/// A fact that is skipped, saying why, when a tool it runs is not installed. "python3-yaml" means
/// Debian's /usr/bin/python3 with PyYAML.
/// </summary>
public sealed class RequiresToolFactAttribute : FactAttribute
{
    public RequiresToolFactAttribute(params string[] tools)
    {
        var missing = tools.Where(t => !Available(t)).ToList();
        if (missing.Count > 0)
            Skip = $"Needs {string.Join(", ", missing)} (Debian packages; see docs/operations.md), not installed here.";
    }

    public const string Python = "/usr/bin/python3";

    public static bool Available(string tool) => tool switch
    {
        "python3-yaml" => File.Exists(Python) && Runs(Python, "-c", "import yaml"),
        _ when tool.Contains('/') => File.Exists(tool),
        _ => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool))),
    };

    private static bool Runs(string file, params string[] args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit(30_000);
            return p.HasExited && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
