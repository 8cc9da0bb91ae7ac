using System.Text.Json.Nodes;
using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary><c>unimog train</c> on the tiny training world: a run, its resume, and a bad key as one line.</summary>
public class TrainCommandTests
{
    private static readonly TinyWorld World = TinyWorld.Instance;

    [Fact]
    public void Unimog_train_runs_resumes_and_reports_bad_keys()
    {
        var dir = TinyWorld.TempDir("cli");
        var file = Path.Combine(dir, "config.json");
        // Regression: a // comment (as in docs/examples) once crashed train at its checkpoint (the hash re-read the text).
        File.WriteAllText(file, "// a run of the tiny world\n" + World.Config(Path.Combine(dir, "run"), steps: 2));
        var (code, output, err) = Unimog.Run("train", "--config", file);
        Assert.True(code == 0, err);
        Assert.Contains("completed 2 steps", output);
        Assert.Contains("step 2/2", output);

        File.WriteAllText(file, World.Config(Path.Combine(dir, "run"), steps: 4));
        (code, output, err) = Unimog.Run("train", "--config", file);
        Assert.True(code == 0, err);
        Assert.Contains("Resumed from", output);
        Assert.Contains("completed 4 steps", output);
        Assert.DoesNotContain("step 1/4", output);

        var bad = JsonNode.Parse(World.Config(Path.Combine(dir, "run")))!.AsObject();
        bad["ema"] = new JsonObject { ["decay"] = "high" };
        File.WriteAllText(file, bad.ToJsonString());
        (code, _, err) = Unimog.Run("train", "--config", file);
        Assert.Equal(2, code);
        Assert.Equal($"unimog: {file}: ema.decay: expected a number, got \"high\"", err.Trim());
    }
}
