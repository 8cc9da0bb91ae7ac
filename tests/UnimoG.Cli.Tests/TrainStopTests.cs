using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using UnimoG.Data.Checkpoints;
using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary>
/// <c>unimog train</c> stopped and continued: SIGTERM to a real child process writes a checkpoint that the same command
/// resumes from; <c>--max-steps</c> ends a run early and a later run continues the step numbers.
/// </summary>
public class TrainStopTests
{
    private static readonly TinyWorld World = TinyWorld.Instance;

    private static string S(long n) => n.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public void Sigterm_writes_a_checkpoint_and_the_same_command_resumes_from_it()
    {
        var dir = TinyWorld.TempDir("sigterm");
        var file = Path.Combine(dir, "config.json");
        File.WriteAllText(file, "// as in docs/examples: comments\n" + World.Config(Path.Combine(dir, "run"), steps: 100000));
        // The CLI of this build in a process of its own: the signal must reach the handler that the real command registers.
        var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var start = new ProcessStartInfo(host, [Path.Combine(AppContext.BaseDirectory, "unimog.dll"), "train", "--config", file])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var output = new StringBuilder();
        using var trained = new ManualResetEventSlim();
        using var child = Process.Start(start)!;
        child.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.Contains("step 2/100000", StringComparison.Ordinal)) trained.Set();
        };
        child.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        try
        {
            Assert.True(trained.Wait(TimeSpan.FromMinutes(5)), $"no second step: {output}");
            using (var kill = Process.Start("kill", ["-TERM", S(child.Id)])!) kill.WaitForExit();
            Assert.True(child.WaitForExit(TimeSpan.FromMinutes(3)), $"still running after SIGTERM: {output}");
            child.WaitForExit();   // the rest of the redirected output
        }
        finally
        {
            if (!child.HasExited) child.Kill();
        }
        var text = output.ToString();
        Assert.True(child.ExitCode == 0, text);
        Assert.Contains("SIGTERM: stopping after this step and writing a checkpoint", text);
        var stopped = Regex.Match(text, @"stopped at step (\d+); checkpoint (\S+)");
        Assert.True(stopped.Success, text);
        var step = long.Parse(stopped.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(step >= 2, text);
        var checkpoint = Path.Combine(dir, "run", "checkpoints", CheckpointStore.NameOf(step));
        Assert.Equal(checkpoint, stopped.Groups[2].Value);
        Assert.True(CheckpointStore.ForRun(Path.Combine(dir, "run")).NewestValid() is { } newest && newest.Path == checkpoint);

        var (code, resumed, err) = Unimog.Run("train", "--config", file, "--max-steps", S(step + 2));
        Assert.True(code == 0, err);
        Assert.Contains($"Resumed from {checkpoint} at step {step}", resumed);
        Assert.DoesNotContain($"step {step}/100000 ", resumed);
        Assert.Contains($"step {step + 1}/100000 ", resumed);
        Assert.Contains($"stopped at step {step + 2} of 100000 (--max-steps)", resumed);
    }

    [Fact]
    public void Max_steps_stops_early_with_weights_and_a_run_without_it_finishes()
    {
        var dir = TinyWorld.TempDir("max-steps");
        var file = Path.Combine(dir, "config.json");
        File.WriteAllText(file, World.Config(Path.Combine(dir, "run"), steps: 5));
        var (code, output, err) = Unimog.Run("train", "--config", file, "--max-steps", "2");
        Assert.True(code == 0, err);
        Assert.Contains("this run stops at step 2 (--max-steps)", output);
        Assert.Contains($"stopped at step 2 of 5 (--max-steps); checkpoint {Path.Combine(dir, "run", "checkpoints", "step-00000002")}; weights {Path.Combine(dir, "run", "unet")}", output);
        Assert.DoesNotContain("step 3/5", output);
        Assert.True(File.Exists(Path.Combine(dir, "run", "unet", "config.json")));

        (code, output, err) = Unimog.Run("train", "--config", file);
        Assert.True(code == 0, err);
        Assert.Contains("at step 2", output);
        Assert.DoesNotContain("step 2/5 ", output);
        Assert.Contains("step 3/5 ", output);
        Assert.Contains("completed 5 steps", output);

        // Afresh over the finished run: its checkpoints go aside, so the new step 1 is the newest (and is kept).
        (code, output, err) = Unimog.Run("train", "--config", file, "--no-resume", "--max-steps", "1");
        Assert.True(code == 0, err);
        Assert.Contains("--no-resume: moved the earlier checkpoints (up to step 5) to ", output);
        Assert.Equal([1L], CheckpointStore.ForRun(Path.Combine(dir, "run")).List().Select(c => c.Step));
        var aside = Assert.Single(Directory.GetDirectories(Path.Combine(dir, "run"), "checkpoints.earlier-*"));
        Assert.Contains(Path.Combine(aside, "step-00000005"), Directory.GetDirectories(aside));

        (code, _, err) = Unimog.Run("train", "--config", file, "--max-steps", "0");
        Assert.Equal((2, "unimog: --max-steps must be at least 1, got 0"), (code, err.Trim()));
    }

    public static TheoryData<string, string, string> Broken => new()
    {
        // command, the key the error must name, a JSON change that breaks just that key
        { "train", "model.vae", """{"model": {"vae": "missing-vae"}}""" },
        { "train", "model.unet", """{"model": {"unet": "missing-unet", "unet_config": null}}""" },
        { "train", "conditions.cache", """{"conditions": {"source": "cache", "cache": "missing-cache"}}""" },
        { "train", "latent_cache", """{"latent_cache": "missing-latents"}""" },
        { "train", "phases[0].data.path", """{"phases": [{"data": {"path": "missing-data"}, "steps": 2, "resolution": 16}]}""" },
        { "train", "optimizer.learning_rate", """{"optimizer": {"learning_rate": "fast"}}""" },
        { "encode-dataset", "phases[0].data.path", """{"phases": [{"data": {"path": "missing-data"}, "steps": 2, "resolution": 16}]}""" },
        { "encode-dataset", "conditions.encoder", """{"conditions": {"source": "cache", "cache": "c", "encoder": "missing-mllm"}}""" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_config_error_is_one_line_naming_the_file_and_the_key(string command, string key, string change)
    {
        var dir = TinyWorld.TempDir("broken");
        var file = Path.Combine(dir, "train.json");
        var config = JsonNode.Parse(World.Config(Path.Combine(dir, "run")))!.AsObject();
        Merge(config, JsonNode.Parse(change)!.AsObject());
        File.WriteAllText(file, "// comments are fine\n" + config.ToJsonString(new() { WriteIndented = true }));
        string[] args = command == "encode-dataset"
            ? [command, "--config", file, "--conditions", Path.Combine(dir, "conditions"), "--latents", Path.Combine(dir, "latents")]
            : [command, "--config", file];
        var (code, output, err) = Unimog.Run(args);
        Assert.True(code == 2, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.True(err.StartsWith($"unimog: {file}: {key}: ", StringComparison.Ordinal), err);
        Assert.DoesNotContain("   at ", output + err);
        Assert.DoesNotContain("Exception", output + err);
    }

    [Fact]
    public void A_config_that_is_not_JSON_is_one_line_naming_the_file_and_the_place()
    {
        var dir = TinyWorld.TempDir("not-json");
        var file = Path.Combine(dir, "train.json");
        File.WriteAllText(file, "{\n  // a comment\n  \"seed\": 1,,\n}");
        var (code, _, err) = Unimog.Run("encode-dataset", "--config", file);
        Assert.Equal(2, code);
        Assert.Matches($"^unimog: {Regex.Escape(file)}: not valid JSON at line 3, column \\d+: [^\\n]+$", err.Trim());
    }

    /// <summary>Objects merged key by key; anything else (arrays included) replaced; null removes the key.</summary>
    private static void Merge(JsonObject into, JsonObject change)
    {
        foreach (var (k, v) in change)
        {
            if (v is null) into.Remove(k);
            else if (v is JsonObject o && into[k] is JsonObject target) Merge(target, o);
            else into[k] = v.DeepClone();
        }
    }
}
