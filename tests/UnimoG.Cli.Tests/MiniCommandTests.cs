namespace UnimoG.Cli.Tests;

public class MiniCommandTests
{
    [Fact]
    public void Budget_lists_every_part_within_30_megabytes()
    {
        var (code, output, _) = Unimog.Run("mini", "budget", "--threads", "1");
        Assert.Equal(0, code);
        foreach (var part in new[] { "vae", "mllm/vision_model", "mllm/qformer+projector", "mllm/language_model", "unet" })
            Assert.Contains(part, output);
        var total = output.Split('\n').Single(l => l.StartsWith("total", StringComparison.Ordinal));
        var mb = double.Parse(total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^5], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(mb, 10, 30);
    }

    [Theory]
    [InlineData("train-vae", "--crop", "30", "--crop must be a multiple of 4")]
    [InlineData("train-vae", "--steps", "0", "--steps must be at least 1")]
    [InlineData("train-mllm", "--adapter", "linear", "--adapter must be qformer or mlp")]
    public void Bad_options_are_one_line_usage_errors(string verb, string option, string value, string message)
    {
        string[] required = verb switch
        {
            "train-vae" => ["--data", "x", "--eval", "y", "--out", Path.GetTempPath()],
            _ => ["--data", "x", "--eval-seen", "y", "--eval-held-out", "z", "--tokenizer", "t", "--out", Path.GetTempPath()],
        };
        var (code, _, error) = Unimog.Run(["mini", verb, .. required, option, value, "--threads", "1"]);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void A_missing_shard_folder_is_named()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-shards-" + Guid.NewGuid().ToString("N"));
        var output = Path.Combine(Path.GetTempPath(), "mini-out-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, _, error) = Unimog.Run("mini", "train-vae", "--data", missing, "--eval", missing, "--out", output, "--threads", "1");
            Assert.Equal(2, code);
            Assert.Contains(missing, error);
        }
        finally { if (Directory.Exists(output)) Directory.Delete(output, recursive: true); }
    }
}
