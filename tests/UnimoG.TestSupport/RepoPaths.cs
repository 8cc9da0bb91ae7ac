namespace UnimoG.TestSupport;

/// <summary>Locates the repository root and the read-only <c>../shared</c> folder beside it.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The folder holding <c>UnimoG.Services.sln</c>.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary><c>../shared</c> beside the repository, or <c>UNIMOG_SHARED</c> when set.</summary>
    public static string Shared =>
        Environment.GetEnvironmentVariable("UNIMOG_SHARED") is { Length: > 0 } s
            ? s
            : Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string Fixtures(params string[] parts) =>
        Path.Combine([Shared, "fixtures", .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "UnimoG.Services.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException(
            $"No UnimoG.Services.sln above {AppContext.BaseDirectory}; run the tests from the repository.");
    }
}
