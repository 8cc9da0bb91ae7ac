using System.Text.Json.Nodes;
using UnimoG.Cli.Recipe;
using UnimoG.EmojiWorld.Tests;
using UnimoG.Modeling.Pipelines;
using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary>
/// <c>unimog recipe mini</c>: the stage graph (done-markers, adoption, resume, --from, --only, the lock) on fake stages,
/// and the whole recipe at a tiny size on synthetic art (no download): every stage runs, the exported model folders
/// load, a rerun does nothing, a copied finished run is adopted, --from redoes what follows.
/// </summary>
public sealed class RecipeTests
{
    private static string TempDir(string name) => Directory.CreateTempSubdirectory(name).FullName;

    private sealed class Counter
    {
        public Dictionary<string, int> Runs { get; } = [];
        public HashSet<string> Complete { get; } = [];
        public string? FailOnce { get; set; }

        public RecipeStage Stage(string name) => new(name, "fake " + name, () => Complete.Contains(name), c =>
        {
            Runs[name] = Runs.GetValueOrDefault(name) + 1;
            if (FailOnce == name) { FailOnce = null; throw new InvalidOperationException("interrupted"); }
            Complete.Add(name);
            return StageOutcome.Ran;
        });
    }

    [Fact]
    public void Stages_run_in_order_once_and_leave_markers()
    {
        var work = TempDir("recipe-graph");
        var fake = new Counter();
        var log = new List<string>();
        var runner = new RecipeRunner(work, [fake.Stage("a"), fake.Stage("b"), fake.Stage("c")], log.Add);
        runner.Run();
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1, ["c"] = 1 }, fake.Runs);
        var marker = JsonNode.Parse(File.ReadAllText(runner.MarkerPath("b")))!;
        Assert.Equal("ran", (string)marker["outcome"]!);
        foreach (var key in new[] { "wall_seconds", "cpu_seconds", "load_average_start", "load_average_end", "peak_rss_mb", "started_utc" })
            Assert.NotNull(marker[key]);
        Assert.True((double)marker["peak_rss_mb"]! > 10);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(work, RecipeRunner.SummaryFile)))!["stages"]!.AsArray();
        Assert.Equal(["a", "b", "c"], summary.Select(s => (string)s!["stage"]!));
        Assert.All(summary, s => Assert.NotNull(s!["done"]));
        Assert.False(File.Exists(Path.Combine(work, RecipeRunner.LockFile)));

        runner.Run();   // everything done: nothing runs again
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1, ["c"] = 1 }, fake.Runs);

        runner.Run(from: "b");   // b and c redone, a kept
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 2, ["c"] = 2 }, fake.Runs);
        Assert.Contains("--from x: no such stage", Assert.Throws<RecipeException>(() => runner.Run(from: "x")).Message);
    }

    [Fact]
    public void Complete_output_is_adopted_and_an_interrupted_stage_runs_again()
    {
        var work = TempDir("recipe-adopt");
        var fake = new Counter();
        fake.Complete.Add("a");          // e.g. a finished pre-training run in the work folder
        fake.FailOnce = "b";             // interrupted (Ctrl-C, crash) in the middle of b
        var runner = new RecipeRunner(work, [fake.Stage("a"), fake.Stage("b"), fake.Stage("c")], _ => { });
        Assert.Throws<InvalidOperationException>(() => runner.Run());
        Assert.False(fake.Runs.ContainsKey("a"));
        Assert.Equal("adopted", (string)JsonNode.Parse(File.ReadAllText(runner.MarkerPath("a")))!["outcome"]!);
        Assert.False(File.Exists(runner.MarkerPath("b")));
        Assert.False(File.Exists(Path.Combine(work, RecipeRunner.LockFile)));   // released on failure too
        runner.Run();
        Assert.Equal(2, fake.Runs["b"]);
        Assert.Equal(1, fake.Runs["c"]);

        // --only runs one stage whatever the others' state; a stage that reports done but left no output fails.
        var only = new Counter();
        var onlyRunner = new RecipeRunner(TempDir("recipe-only"), [only.Stage("a"), only.Stage("b")], _ => { });
        onlyRunner.Run(only: "b");
        Assert.Equal(["b"], only.Runs.Keys);
        onlyRunner.Run(only: "b");   // redone, not adopted, although its output is complete
        Assert.Equal(2, only.Runs["b"]);
        var liar = new RecipeStage("x", "no output", () => false, _ => StageOutcome.Ran);
        Assert.Contains("output is incomplete", Assert.Throws<RecipeException>(() => new RecipeRunner(TempDir("recipe-liar"), [liar], _ => { }).Run()).Message);
    }

    [Fact]
    public void The_lock_refuses_a_second_recipe_and_stale_locks_are_taken_over()
    {
        var work = TempDir("recipe-lock");
        var fake = new Counter();
        var runner = new RecipeRunner(work, [fake.Stage("a")], _ => { });
        File.WriteAllText(Path.Combine(work, RecipeRunner.LockFile), Environment.ProcessId.ToString());   // a live holder
        Assert.Contains("another recipe", Assert.Throws<RecipeException>(() => runner.Run()).Message);
        Assert.Empty(fake.Runs);
        File.WriteAllText(Path.Combine(work, RecipeRunner.LockFile), "2147483000");   // no such process
        runner.Run();
        Assert.Equal(1, fake.Runs["a"]);
        Assert.False(File.Exists(Path.Combine(work, RecipeRunner.LockFile)));
    }

    /// <summary>
    /// The real recipe at a tiny size: synthetic art, 48 scenes, 2 steps per training, up to the sample grids (the
    /// evaluators' validation needs more scenes than this; their training has tests of its own in UnimoG.Mini.Tests).
    /// </summary>
    private static string[] Tiny(string work, string output, string until = "grids") =>
    [
        "recipe", "mini", "--work", work, "--out", output, "--threads", "1",
        "--tokenizer", Path.Combine(RepoPaths.Root, "models", "unimog-mini-staging", "tokenizer", "tokenizer.model"),
        "--art-installer", "/nonexistent/never-download.sh",
        "--train-scenes", "48", "--bench-scenes", "16", "--all-scenes", "48", "--pretrain-steps", "2",
        "--stage1-steps", "2", "--stage2-steps", "2", "--batch", "4", "--sample-steps", "2", "--until", until,
    ];

    private static string SyntheticWork(string name)
    {
        var work = TempDir(name);
        using var art = new SyntheticArt();
        ModelExport.CopyFolder(art.Folder, Path.Combine(work, "emoji"));
        return work;
    }

    [Fact]
    public void The_tiny_recipe_runs_end_to_end_adopts_and_resumes()
    {
        var work = SyntheticWork("recipe-tiny");
        var output = Path.Combine(work, "shipped");
        var (code, stdout, stderr) = Unimog.Run(Tiny(work, output));
        Assert.True(code == 0, stdout + stderr);
        string[] stages = ["art", "compose", "tokenizer", "vae", "mllm", "stage", "prep", "cache-latents", "cache-stage1", "unet-stage1", "cache-stage2", "unet-stage2", "export", "grids"];
        var recipe = new RecipeRunner(work, [], _ => { });
        foreach (var s in stages) Assert.True(File.Exists(recipe.MarkerPath(s)), $"no marker for {s}\n{stdout}{stderr}");
        Assert.Equal("adopted", (string)JsonNode.Parse(File.ReadAllText(recipe.MarkerPath("art")))!["outcome"]!);

        // Stage 2 used the attention loss, the ablation did not; both started from stage 1's weights.
        var stage2 = File.ReadAllText(Path.Combine(work, "runs", "unet-stage2", "train.log"));
        var ablation = File.ReadAllText(Path.Combine(work, "runs", "unet-no-visual-enh", "train.log"));
        Assert.Matches(@"[1-9]\d* attention-loss layers", stage2);
        Assert.Contains("0 attention-loss layers", ablation);
        Assert.Contains("\"attn\":null", File.ReadAllText(Path.Combine(work, "runs", "unet-no-visual-enh", "metrics.jsonl")));
        Assert.DoesNotContain("\"attn\":null", File.ReadAllText(Path.Combine(work, "runs", "unet-stage2", "metrics.jsonl")));

        // The exported folders are what the services load; the shipped one has no UNTRAINED marker and a card with times.
        foreach (var variant in new[] { "full", "no-visual-enh", "no-tuning" })
        {
            var folder = ModelFolder.Open(Path.Combine(work, "models", variant));
            Assert.False(folder.Untrained);
            Assert.Equal(256, folder.CrossAttentionDim);
        }
        var shipped = ModelFolder.Open(output);
        Assert.False(shipped.Untrained);
        Assert.True(File.Exists(Path.Combine(output, "NOTICE")) && File.Exists(Path.Combine(output, "LICENSE-Apache-2.0")));
        Assert.Contains("| unet-stage1 | ran |", File.ReadAllText(Path.Combine(output, "README.md")));
        Assert.True(ModelExport.FolderBytes(output) <= UnimoG.Mini.MiniConfigs.BudgetBytes);
        var gen = Unimog.Run("generate", "<img1> wearing <img2>", "--image", Path.Combine(RepoPaths.Root, "models", "examples", "dog.png"),
            "--image", Path.Combine(RepoPaths.Root, "models", "examples", "top-hat.png"), "--steps", "2", "--seed", "1", "--model", output, "--out", Path.Combine(work, "g.png"));
        Assert.True(gen.ExitCode == 0, gen.Error);
        Assert.DoesNotContain("UNTRAINED", gen.Error);
        Assert.True(File.Exists(Path.Combine(work, "grids", "mini-samples.png")));
        Assert.True(File.Exists(Path.Combine(work, "curves", "unet-mse.png")));

        // A rerun does nothing; --from unet-stage2 redoes stage 2 onwards (the runs resume from their final checkpoints).
        var before = File.GetLastWriteTimeUtc(recipe.MarkerPath("unet-stage1"));
        var again = Unimog.Run(Tiny(work, output));
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.DoesNotContain("] ran in", again.Out);
        var redo = Unimog.Run([.. Tiny(work, output), "--from", "unet-stage2"]);
        Assert.True(redo.ExitCode == 0, redo.Error);
        Assert.Contains("[unet-stage2] resumed", redo.Out);
        Assert.Equal(before, File.GetLastWriteTimeUtc(recipe.MarkerPath("unet-stage1")));

        // A finished cache without its marker (a run stopped after --from removed the later markers) is adopted when
        // it was made from the same data, and encoded again when not (it would lack the new samples' keys).
        File.Delete(recipe.MarkerPath("cache-stage2"));
        var sameData = Unimog.Run(Tiny(work, output, until: "cache-stage2"));
        Assert.True(sameData.ExitCode == 0, sameData.Error);
        Assert.Contains("[cache-stage2] output complete: adopted", sameData.Out);
        var dataFile = Path.Combine(work, "cache", "conditions-stage2", "recipe-data.json");   // the same data, reformatted
        File.WriteAllText(dataFile, JsonNode.Parse(File.ReadAllText(dataFile))!.ToJsonString(new() { WriteIndented = true }));
        File.Delete(recipe.MarkerPath("cache-stage2"));
        Assert.Contains("[cache-stage2] output complete: adopted", Unimog.Run(Tiny(work, output, until: "cache-stage2")).Out);
        File.Delete(recipe.MarkerPath("cache-stage2"));
        var newData = Unimog.Run([.. Tiny(work, output, until: "cache-stage2"), "--stage2-samples", "40"]);
        Assert.True(newData.ExitCode == 0, newData.Error);
        Assert.Contains("[cache-stage2] ran", newData.Out);

        // A new work folder holding copies of the finished pre-training runs adopts them instead of training.
        var other = SyntheticWork("recipe-adopt-runs");
        foreach (var dir in new[] { "data", "runs/vae", "runs/mllm" })
            ModelExport.CopyFolder(Path.Combine(work, dir), Path.Combine(other, dir));
        foreach (var log in Directory.GetFiles(Path.Combine(other, "runs"), "train.log", SearchOption.AllDirectories))
            File.SetLastWriteTimeUtc(log, DateTime.UtcNow.AddHours(-1));
        var adopted = Unimog.Run(Tiny(other, Path.Combine(other, "shipped"), until: "stage"));
        Assert.True(adopted.ExitCode == 0, adopted.Error);
        foreach (var s in new[] { "compose", "vae", "mllm" })
            Assert.Equal("adopted", (string)JsonNode.Parse(File.ReadAllText(new RecipeRunner(other, [], _ => { }).MarkerPath(s)))!["outcome"]!);
    }

    [Fact]
    public void A_run_being_written_elsewhere_is_not_touched()
    {
        var work = SyntheticWork("recipe-busy");
        Directory.CreateDirectory(Path.Combine(work, "runs", "vae"));
        File.WriteAllText(Path.Combine(work, "runs", "vae", "train.log"), "step 10/2000\n");   // just written by another process
        var (code, _, error) = Unimog.Run(Tiny(work, Path.Combine(work, "shipped"), until: "vae"));
        Assert.Equal(2, code);
        Assert.Contains("is being written by another process", error);
    }
}
