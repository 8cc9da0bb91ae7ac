namespace UnimoG.Cli;

/// <summary>Where the CLI finds models when none is named.</summary>
internal static class ModelPaths
{
    public const string DefaultRelative = "models/unimog-mini";

    /// <summary>
    /// <paramref name="given"/> (--model); else <c>Model__Path</c>; else <c>models/unimog-mini</c> in the current folder;
    /// else in the checkout this command was built from (the folder above it holding UnimoG.Services.sln).
    /// </summary>
    public static string Resolve(string? given)
    {
        if (!string.IsNullOrWhiteSpace(given)) return given;
        if (Environment.GetEnvironmentVariable("Model__Path") is { Length: > 0 } env) return env;
        if (Directory.Exists(DefaultRelative)) return Path.GetFullPath(DefaultRelative);
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "UnimoG.Services.sln")))
                return Path.Combine(d.FullName, DefaultRelative);
        return Path.GetFullPath(DefaultRelative);
    }
}
