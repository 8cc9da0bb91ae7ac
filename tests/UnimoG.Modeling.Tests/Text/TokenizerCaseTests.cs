using System.Text.Json;
using UnimoG.Text.Tokenizers;
using UnimoG.TestSupport;

namespace UnimoG.Modeling.Tests.Text;

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
