using UnimoG.TestSupport;

namespace UnimoG.Fuzz.Tests;

/// <summary>The committed seed inputs under <c>tests/UnimoG.Fuzz.Tests/corpus/</c>, read from the repository (not copied).</summary>
public static class Corpus
{
    public static string Folder(string kind) => Path.Combine(RepoPaths.Root, "tests", "UnimoG.Fuzz.Tests", "corpus", kind);

    /// <summary>The files of one kind (<c>images</c>, <c>configs</c>, <c>prompts</c>, <c>tensors</c>), sorted by name.</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes)> Files(string kind, string pattern = "*")
    {
        var files = Directory.GetFiles(Folder(kind), pattern).Order(StringComparer.Ordinal)
            .Select(p => (Path.GetFileName(p), File.ReadAllBytes(p))).ToList();
        if (files.Count == 0) throw new InvalidOperationException($"no corpus files {pattern} in {Folder(kind)}");
        return files;
    }
}
