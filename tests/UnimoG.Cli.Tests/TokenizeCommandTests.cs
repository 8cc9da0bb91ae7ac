using UnimoG.Text.Tokenizers;
using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

public class TokenizeCommandTests
{
    private static string ClipGz => Path.Combine(RepoPaths.Shared, "tokenizers", "clip", "bpe_simple_vocab_16e6.txt.gz");
    private static string LlamaDir => Path.Combine(RepoPaths.Shared, "tokenizers", "llama2");

    private static readonly Lazy<ITextTokenizer> Clip = new(() => TextTokenizers.Load(TokenizerKind.Clip, ClipGz));
    private static readonly Lazy<ITextTokenizer> Llama = new(() => TextTokenizers.Load(TokenizerKind.Llama, LlamaDir));

    private static string Run(ITextTokenizer tokenizer, string input)
    {
        var output = new StringWriter();
        Assert.Equal(0, TokenizeCommand.Run(tokenizer, new StringReader(input), output));
        return output.ToString();
    }

    [Fact]
    public void Prints_the_ids_of_each_line()
    {
        // Expected ids: the shared fixture (transformers' CLIPTokenizer and LlamaTokenizer).
        string input = "\"a photo of a cat\"\n\" \"\n\"tab\\tseparated\\tvalues\"\n";
        Assert.Equal("49406 320 1125 539 320 2368 49407\n49406 49407\n49406 14724 22163 8857 49407\n", Run(Clip.Value, input));
        Assert.Equal("1 263 15373 310 263 6635\n1 259\n1 4434 12 25048 630 12 5975\n", Run(Llama.Value, input));
    }

    [Fact]
    public void Matches_every_row_of_the_shared_cases()
    {
        var rows = File.ReadLines(Path.Combine(RepoPaths.Shared, "fixtures", "tokenizers", "cases.tsv")).Skip(1)
            .Where(l => l.Length > 0).Select(l => l.Split('\t')).ToList();
        foreach (var (kind, tokenizer) in new[] { ("clip_noftfy", Clip.Value), ("llama", Llama.Value) })
        {
            var mine = rows.Where(r => r[0] == kind).ToList();
            var output = Run(tokenizer, string.Join('\n', mine.Select(r => r[1])) + "\n").Split('\n');
            Assert.Equal(mine.Select(r => r[2]), output.Take(mine.Count));
        }
    }

    [Fact]
    public void Empty_input_gives_empty_output_and_empty_strings_get_special_tokens()
    {
        Assert.Equal("", Run(Clip.Value, ""));
        Assert.Equal("49406 49407\n", Run(Clip.Value, "\"\"\n"));
        Assert.Equal("1\n", Run(Llama.Value, "\"\"")); // no final newline needed
    }

    [Fact]
    public void Escapes_and_lone_surrogates_are_read_as_JSON()
    {
        // "\u00e9" is é; a lone "\ud800" (which Python's json.dumps writes) is kept, then dropped by the clean-up.
        Assert.Equal(Run(Clip.Value, "\"café\"\n"), Run(Clip.Value, "\"caf\\u00e9\"\n"));
        Assert.Equal(Run(Clip.Value, "\"ab\"\n"), Run(Clip.Value, "\"a\\ud800b\"\n"));
        Assert.Equal(Run(Clip.Value, "\"a/b\\\"c\\\\\"\n"), Run(Clip.Value, "\"a\\/b\\\"c\\\\\"\n"));
    }

    [Theory]
    [InlineData("42", "not a string")]
    [InlineData("", "empty line")]
    [InlineData("\"open", "unterminated string")]
    [InlineData("\"a\" \"b\"", "text after the closing quote")]
    [InlineData("\"bad \\q\"", "unknown escape \\q")]
    [InlineData("\"bad \\u12\"", "bad \\u escape")]
    [InlineData("\"raw\ttab\"", "raw control character U+0009")]
    public void A_bad_line_is_named_and_earlier_lines_stay_printed(string bad, string reason)
    {
        var output = new StringWriter();
        var ex = Assert.Throws<UsageException>(() =>
            TokenizeCommand.Run(Clip.Value, new StringReader($"\"ok\"\n{bad}\n\"later\"\n"), output));
        Assert.StartsWith("line 2: ", ex.Message);
        Assert.Contains(reason, ex.Message);
        Assert.Equal("49406 2481 49407\n", output.ToString()); // "ok", as transformers' CLIPTokenizer
    }
}
