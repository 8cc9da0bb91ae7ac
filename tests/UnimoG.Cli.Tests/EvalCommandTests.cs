namespace UnimoG.Cli.Tests;

public class EvalCommandTests
{
    private static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"eval-cli-{name}-{Guid.NewGuid():N}");

    [Theory]
    [InlineData("--subset", "sideways", "--subset: 'sideways' is not one of seen, held-out, text, all")]
    [InlineData("--images-per-prompt", "0", "--images-per-prompt must be 1..16")]
    [InlineData("--steps", "0", "--steps must be 1..1000")]
    [InlineData("--limit", "0", "--limit must be at least 1")]
    [InlineData("--guidance", "-1", "--guidance must be finite and at least 0")]
    public void Bad_emojibench_options_are_one_line_usage_errors(string option, string value, string message)
    {
        var (code, _, error) = Unimog.Run("eval", "emojibench", "--model", Path.GetTempPath(), option, value);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void Missing_model_and_evaluator_folders_are_named()
    {
        var missing = Temp("model");
        var (code, _, error) = Unimog.Run("eval", "emojibench", "--model", missing);
        Assert.Equal(2, code);
        Assert.Contains($"--model: model folder not found: {missing}", error);

        var empty = Temp("evaluators");
        Directory.CreateDirectory(empty);
        try
        {
            (code, _, error) = Unimog.Run("eval", "emojibench", "--model", Path.GetTempPath(), "--evaluators", empty);
            Assert.Equal(2, code);
            Assert.Contains($"--evaluators: {empty} holds no evaluators.json", error);
        }
        finally
        {
            Directory.Delete(empty, true);
        }
    }

    [Fact]
    public void Compare_prints_one_table_of_several_reports_and_names_bad_files()
    {
        var dir = Temp("compare");
        Directory.CreateDirectory(dir);
        try
        {
            string Write(string name, double dino)
            {
                var m = new Mini.Bench.EmojiBenchMetricSet(new(dino, dino - 0.1, dino + 0.1, 3), new(0.5, 0.4, 0.6, 3), new(0.2, 0.1, 0.3, 3), new(0.75, 0.5, 1, 3));
                var r = new Mini.Bench.EmojiBenchReport
                {
                    Label = name, Model = name, Evaluators = "e", Steps = 50, GuidanceScale = 5, ImagesPerPrompt = 4, PromptSeed = 1, Resamples = 2000,
                    Rows = [new Mini.Bench.EmojiBenchRow(Mini.Bench.EmojiBenchSubset.HeldOut, "model", 3, 12, m, 1)],
                };
                var path = Path.Combine(dir, name + ".json");
                r.WriteJson(path);
                return path;
            }
            var a = Write("a", 0.6);
            var b = Write("b", 0.3);
            var (code, output, _) = Unimog.Run("eval", "compare", a, "--json", b, "--labels", "full,w/o Tuning");
            Assert.Equal(0, code);
            Assert.Contains("**held-out** (3 prompts, 12 images per model)", output);
            Assert.Contains("| full | 0.600 [0.500, 0.700] | 0.500 [0.400, 0.600] | 0.200 [0.100, 0.300] | 0.750 [0.500, 1.000] |", output);
            Assert.Contains("| w/o Tuning | 0.300 [0.200, 0.400] |", output);

            (code, _, var error) = Unimog.Run("eval", "compare", a, Path.Combine(dir, "none.json"));
            Assert.Equal(2, code);
            Assert.Contains("none.json", error);
            (code, _, error) = Unimog.Run("eval", "compare", a, b, "--labels", "one");
            Assert.Equal(2, code);
            Assert.Contains("--labels: 1 names for 2 reports", error);
            (code, _, error) = Unimog.Run("eval", "compare");
            Assert.Equal(2, code);
            Assert.Contains("give at least one report", error);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Plot_writes_a_PNG_and_names_unknown_metrics()
    {
        var dir = Temp("plot");
        Directory.CreateDirectory(dir);
        try
        {
            var log = Path.Combine(dir, "train-log.json");
            File.WriteAllText(log, """{"log":[{"step":10,"loss":1.0,"seconds":5},{"step":20,"loss":0.5,"seconds":10},{"step":30,"loss":0.4,"seconds":15}]}""");
            var png = Path.Combine(dir, "curve.png");
            var (code, output, error) = Unimog.Run("eval", "plot", "--log", log, "--out", png, "--smooth", "2", "--log-y");
            Assert.True(code == 0, error);
            Assert.Contains("1 series, 3 points", output);
            var image = Imaging.ImageDecoder.Decode(File.ReadAllBytes(png));
            Assert.Equal((800, 480), (image.Width, image.Height));

            (code, _, error) = Unimog.Run("eval", "plot", "--log", log, "--out", png, "--metric", "accuracy");
            Assert.Equal(2, code);
            Assert.Contains("--metric: none of accuracy", error);
            Assert.Contains("logged: loss", error);
            (code, _, error) = Unimog.Run("eval", "plot", "--log", Path.Combine(dir, "missing.json"), "--out", png);
            Assert.Equal(2, code);
            Assert.Contains("missing.json", error);
            (code, _, error) = Unimog.Run("eval", "plot", "--log", log, "--out", png, "--size", "10x10");
            Assert.Equal(2, code);
            Assert.Contains("--size", error);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
