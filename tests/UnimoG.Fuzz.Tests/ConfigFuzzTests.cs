using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace UnimoG.Fuzz.Tests;

/// <summary>A fuzzed config file: a corpus file, structural edits, then byte edits of the text.</summary>
public sealed record ConfigCase(string File, string Original, JsonEdit[] Structure, ByteEdit[] Text)
{
    public string Json
    {
        get
        {
            var json = Structure.Length == 0 ? Original : JsonEdits.Apply(Original, Structure);
            return Text.Length == 0 ? json : Encoding.UTF8.GetString(ByteEdits.Apply(Encoding.UTF8.GetBytes(json), Text));
        }
    }

    public override string ToString() =>
        $"{File} + [{string.Join(", ", Structure.AsEnumerable())}] + [{string.Join(", ", Text.AsEnumerable())}] = {PromptGen.Escape(Json)}";
}

/// <summary>
/// The config readers (model configs, the training config and its hash, options binding): random and mutated JSON from
/// the corpus gives a config or the reader's typed error naming the key, never another exception.
/// </summary>
public class ConfigFuzzTests(ITestOutputHelper output)
{
    private static readonly Arbitrary<ConfigCase> Cases = Arb.From(
        from f in Gen.Elements(Corpus.Files("configs", "*.json").ToArray())
        from mode in Gen.Choose(0, 9)
        from structure in mode < 7 ? JsonEdits.Edits : Gen.Constant(Array.Empty<JsonEdit>())
        from text in mode >= 5 ? ByteEdits.Edits : Gen.Constant(Array.Empty<ByteEdit>())
        select new ConfigCase(f.Name, Encoding.UTF8.GetString(f.Bytes), structure, text),
        c => Enumerable.Range(0, c.Structure.Length).Select(i => c with { Structure = c.Structure.Where((_, j) => j != i).ToArray() })
            .Concat(Enumerable.Range(0, c.Text.Length).Select(i => c with { Text = c.Text.Where((_, j) => j != i).ToArray() })));

    [Fact]
    public void Mutated_configs_read_or_fail_naming_the_key() =>
        Fuzz.Run(output, "config readers", Cases, Check);

    /// <summary>Every corpus file reads as it is (the seeds are valid), and the options file can be rewritten.</summary>
    [Fact]
    public void Corpus_configs_read()
    {
        var options = Path.Combine(Corpus.Folder("configs"), "options.json");
        if (Environment.GetEnvironmentVariable("UNIMOG_FUZZ_WRITE_CORPUS") == "1") File.WriteAllText(options, ConfigReaders.DefaultOptions() + "\n");
        foreach (var (name, bytes) in Corpus.Files("configs", "*.json"))
            ConfigReaders.Read(name, Encoding.UTF8.GetString(bytes));
    }

    internal static void Check(ConfigCase c)
    {
        var json = c.Json;
        try
        {
            ConfigReaders.Read(c.File, json);
        }
        catch (Exception e) when (ConfigReaders.Typed(c.File, e))
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
    }
}
