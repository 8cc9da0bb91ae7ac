namespace UnimoG.Hosting.Tests.Support;

/// <summary>A fact that is skipped, saying why, when a command-line tool it runs is not installed.</summary>
public sealed class RequiresToolFactAttribute : FactAttribute
{
    public RequiresToolFactAttribute(params string[] tools)
    {
        var missing = tools.Where(t => !OnPath(t)).ToList();
        if (missing.Count > 0)
            Skip = $"Needs {string.Join(", ", missing)} on PATH (Debian packages: see docs/operations.md); not installed here.";
    }

    public static bool OnPath(string tool) =>
        tool.Contains('/') ? File.Exists(tool)
        : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
}
