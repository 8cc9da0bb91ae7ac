namespace UnimoG.Cli.Tests;

/// <summary><c>unimog emojiworld ...</c>: the catalog listing and the one-line errors of the art-using verbs.</summary>
public class EmojiWorldCommandTests
{
    [Fact]
    public void Catalog_lists_entities_and_split_counts()
    {
        var (code, output, error) = Unimog.Run("emojiworld", "catalog", "--category", "wearing", "--held-out");
        Assert.True(code == 0, error);
        Assert.Contains("1F451", output);      // crown, held out
        Assert.Contains("皇冠", output);
        Assert.DoesNotContain("top hat", output); // seen, so filtered out
        Assert.Matches(@"living\s+50 entities:\s+38 seen,\s+12 held out", output);
        Assert.Matches(@"food\s+\d+ entities:\s+\d+ seen,\s+15 held out", output);
    }

    [Theory]
    [InlineData("--count must be at least 1.", "compose", "--out", "/tmp/x", "--count", "0")]
    [InlineData("--split 'foo' must be train, bench or all.", "compose", "--out", "/tmp/x", "--count", "5", "--split", "foo")]
    [InlineData("--start (5) must be a non-negative multiple of --shard-size (10).", "compose", "--out", "/tmp/x", "--count", "5", "--start", "5", "--shard-size", "10")]
    [InlineData("--background 'black' must be transparent or white.", "refs", "--out", "/tmp/x", "--background", "black")]
    [InlineData("--category 'drinks' must be living, wearing, toy or food.", "catalog", "--category", "drinks")]
    [InlineData("Emoji art not found at /nonexistent/art", "sheet", "--out", "/tmp/x.png", "--art", "/nonexistent/art")]
    public void Mistakes_are_one_line_with_exit_code_2(string message, params string[] args)
    {
        var (code, _, error) = Unimog.Run(["emojiworld", .. args]);
        Assert.Equal(2, code);
        Assert.StartsWith("unimog: ", error);
        Assert.Contains(message, error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }
}
