using System.Text.Json;
using UnimoG.Text.Tokenizers;
using UnimoG.TestSupport;

namespace UnimoG.Modeling.Tests.Text;

/// <summary>The real tokenizer files, loaded once for all tests.</summary>
internal static class Tokenizers
{
    public static string ClipGz => Path.Combine(RepoPaths.Shared, "tokenizers", "clip", "bpe_simple_vocab_16e6.txt.gz");
    public static string LlamaModel => Path.Combine(RepoPaths.Shared, "tokenizers", "llama2", "tokenizer.model");

    private static readonly Lazy<ClipTokenizer> LazyClip = new(() => ClipTokenizer.FromBpeGz(ClipGz));
    private static readonly Lazy<LlamaSentencePieceTokenizer> LazyLlama = new(() => LlamaSentencePieceTokenizer.FromFile(LlamaModel));
    private static readonly Lazy<LlamaSentencePieceTokenizer> LazyLlamaNonLegacy = new(() => LlamaSentencePieceTokenizer.FromFile(LlamaModel, legacy: false));

    public static ClipTokenizer Clip => LazyClip.Value;
    public static LlamaSentencePieceTokenizer Llama => LazyLlama.Value;
    public static LlamaSentencePieceTokenizer LlamaNonLegacy => LazyLlamaNonLegacy.Value;
}

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

public class TokenizerCaseTests
{
    public static TheoryData<string> CaseFiles() => new()
    {
        Path.Combine("shared", "fixtures", "tokenizers", "cases.tsv"),
        Path.Combine("tests", "data", "tokenizers", "generated.tsv"),
        Path.Combine("tests", "data", "tokenizers", "runs.tsv"),
        Path.Combine("tests", "data", "tokenizers", "random.tsv"),
    };

    private static string Resolve(string relative) => relative.StartsWith("shared")
        ? Path.Combine(RepoPaths.Shared, relative["shared/".Length..])
        : Path.Combine(RepoPaths.Root, relative);

    [Theory]
    [MemberData(nameof(CaseFiles))]
    public void Every_row_matches_the_reference(string file)
    {
        var rows = TokenizerCase.Read(Resolve(file));
        Assert.NotEmpty(rows);
        // A "clip" row (ftfy) may equal either its own ids or the no-ftfy ids of the same text.
        var noFtfy = rows.Where(r => r.Kind == "clip_noftfy").ToDictionary(r => r.Text, r => r.Ids);
        var failures = new List<string>();
        foreach (var row in rows)
        {
            int[] got = row.Kind switch
            {
                "clip" or "clip_noftfy" => Tokenizers.Clip.Encode(row.Text),
                "llama" => Tokenizers.Llama.Encode(row.Text),
                "llama_nonlegacy" => Tokenizers.LlamaNonLegacy.Encode(row.Text),
                _ => throw new InvalidDataException($"unknown tokenizer '{row.Kind}' in {file}"),
            };
            bool ok = got.SequenceEqual(row.Ids)
                || (row.Kind == "clip" && noFtfy.TryGetValue(row.Text, out var alt) && got.SequenceEqual(alt));
            if (!ok)
                failures.Add($"{row.Kind} {JsonSerializer.Serialize(row.Text)}: got [{string.Join(' ', got)}], expected [{string.Join(' ', row.Ids)}]");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {rows.Count} rows differ:\n" + string.Join('\n', failures.Take(20)));
    }

    [Fact]
    public void Every_tokenizer_kind_is_covered_by_the_committed_cases()
    {
        var kinds = TokenizerCase.Read(Resolve(Path.Combine("tests", "data", "tokenizers", "generated.tsv")))
            .Select(r => r.Kind).ToHashSet();
        Assert.Equal(["clip_noftfy", "llama", "llama_nonlegacy"], kinds.Order());
    }

    [Fact]
    public void Concurrent_encoding_gives_the_same_ids()
    {
        var rows = TokenizerCase.Read(Resolve(Path.Combine("tests", "data", "tokenizers", "generated.tsv")));
        var results = new System.Collections.Concurrent.ConcurrentBag<bool>();
        Parallel.ForEach(rows, new ParallelOptions { MaxDegreeOfParallelism = 4 }, row =>
        {
            var got = row.Kind == "clip_noftfy" ? Tokenizers.Clip.Encode(row.Text)
                : row.Kind == "llama" ? Tokenizers.Llama.Encode(row.Text) : Tokenizers.LlamaNonLegacy.Encode(row.Text);
            results.Add(got.SequenceEqual(row.Ids));
        });
        Assert.Equal(rows.Count, results.Count(ok => ok));
    }
}
