using System.Text.Json;
using UnimoG.Text.Tokenizers;
using UnimoG.TestSupport;

namespace UnimoG.Modeling.Tests.Text;

/// <summary>Rows of a reference cases file (shared fixture or tests/data/tokenizers).</summary>
internal sealed record TokenizerCase(string Kind, string Text, int[] Ids)
{
    public static List<TokenizerCase> Read(string path)
    {
        var rows = new List<TokenizerCase>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            if (line.Length == 0) continue;
            var f = line.Split('\t');
            var ids = f[2].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            rows.Add(new TokenizerCase(f[0], JsonSerializer.Deserialize<string>(f[1])!, ids));
        }
        return rows;
    }
}
