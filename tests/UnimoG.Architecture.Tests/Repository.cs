using System.Xml.Linq;

namespace UnimoG.Architecture.Tests;

/// <summary>A project of the solution as its .csproj declares it: where it lives, what it references.</summary>
public sealed record ProjectFile(string Name, string Folder, string Layer, IReadOnlyList<string> References, IReadOnlyList<string> Packages, string Sdk)
{
    public override string ToString() => $"{Folder}/{Name}";
}

/// <summary>The checkout these tests run in, read as files (nothing is built or loaded).</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>Top-level folders that are layers, lowest first.</summary>
    public static readonly string[] Layers = ["core", "contract", "clients", "engines", "hosts", "tools"];

    public static IReadOnlyList<ProjectFile> Projects { get; } = Directory
        .EnumerateFiles(Root, "*.csproj", SearchOption.AllDirectories)
        .Where(p => !Ignored(p))
        .Select(Read)
        .OrderBy(p => p.Name, StringComparer.Ordinal)
        .ToList();

    public static ProjectFile Project(string name) => Projects.Single(p => p.Name == name);

    /// <summary>Every project <paramref name="name"/> depends on, directly or not.</summary>
    public static IReadOnlySet<string> Closure(string name)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>([name]);
        while (todo.TryPop(out var next))
            foreach (var r in Project(next).References)
                if (seen.Add(r)) todo.Push(r);
        return seen;
    }

    /// <summary>Non-test C# sources under the layer folders (generated files excluded).</summary>
    public static IEnumerable<string> ProductionSources() => Layers
        .Select(l => Path.Combine(Root, l))
        .Where(Directory.Exists)
        .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories))
        .Where(p => !Ignored(p))
        .Order(StringComparer.Ordinal);

    /// <summary>Build outputs and the git-ignored work folders (artifacts/, node_modules/) are not the repository's.</summary>
    private static bool Ignored(string path) =>
        Relative(path).Split('/').Any(part => part is "bin" or "obj" or "artifacts" or "node_modules");

    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    private static ProjectFile Read(string path)
    {
        var xml = XDocument.Load(path);
        var dir = Path.GetDirectoryName(path)!;
        var refs = xml.Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')))
            .ToList();
        var packages = xml.Descendants("PackageReference").Select(e => e.Attribute("Include")!.Value).ToList();
        var relative = Relative(dir);
        var layer = relative.Split('/')[0];
        return new ProjectFile(Path.GetFileNameWithoutExtension(path), relative, layer, refs, packages, xml.Root!.Attribute("Sdk")?.Value ?? "");
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "UnimoG.Services.sln"))) return d.FullName;
        throw new InvalidOperationException($"no UnimoG.Services.sln above {AppContext.BaseDirectory}");
    }
}
