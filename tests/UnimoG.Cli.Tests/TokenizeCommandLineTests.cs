using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary>Through the real command line, stdin included (the assembly runs tests one at a time).</summary>
public class TokenizeCommandLineTests
{
    private static string ClipGz => Path.Combine(RepoPaths.Shared, "tokenizers", "clip", "bpe_simple_vocab_16e6.txt.gz");
    private static string LlamaModel => Path.Combine(RepoPaths.Shared, "tokenizers", "llama2", "tokenizer.model");

    [Fact]
    public void Tokenizes_standard_input()
    {
        var (code, output, error) = Unimog.RunWithInput("\"a photo of a cat\"\n\"一个\"\n", "tokenize", "--kind", "llama", "--vocab", LlamaModel);
        Assert.Equal((0, ""), (code, error));
        // Fixture ids: "a photo of a cat"; "一个" starts the Chinese fixture row (29871 30287 30502).
        Assert.Equal("1 263 15373 310 263 6635\n1 29871 30287 30502\n", output);
    }

    [Fact]
    public void A_bad_line_is_one_line_on_stderr_and_exit_code_2()
    {
        var (code, output, error) = Unimog.RunWithInput("\"a\"\n{\"text\": 1}\n", "tokenize", "--kind", "clip", "--vocab", ClipGz);
        Assert.Equal(2, code);
        Assert.Equal("49406 320 49407\n", output);
        Assert.StartsWith("unimog: line 2: ", error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void A_missing_vocabulary_or_unknown_kind_is_exit_code_2()
    {
        var (code, _, error) = Unimog.RunWithInput("", "tokenize", "--kind", "clip", "--vocab", "/nonexistent/vocab");
        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/vocab", error);
        Assert.Equal(2, Unimog.RunWithInput("", "tokenize", "--kind", "bert", "--vocab", ClipGz).ExitCode);
    }
}
