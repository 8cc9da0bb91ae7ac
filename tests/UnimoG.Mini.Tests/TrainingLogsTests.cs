using UnimoG.EmojiWorld;
using UnimoG.EmojiWorld.Tests;
using UnimoG.Imaging;
using UnimoG.Mini.Bench;
using UnimoG.Mini.Tests.Support;

namespace UnimoG.Mini.Tests;

/// <summary>Training logs read from every format the recipe's stages write: JSON, JSON lines, checkpoint states and text logs.</summary>
public class TrainingLogsTests
{
    [Fact]
    public void Training_logs_are_read_from_JSON_JSON_lines_and_text()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp["stage2"]);
        File.WriteAllText(Path.Combine(temp["stage2"], "train-log.json"),
            """{"steps":100,"seconds":12.5,"log":[{"loss":0.5,"mse":0.4,"step":50,"seconds":6,"cpu_seconds":11},{"loss":0.25,"mse":0.2,"step":100,"seconds":12.5,"cpu_seconds":23}]}""");
        var json = TrainingLogs.Read(Path.Combine(temp["stage2"], "train-log.json"));
        Assert.Equal("stage2", json.Name);
        Assert.Equal(["loss", "mse"], json.Metrics);
        Assert.Equal((100.0, 0.25), (json.Entries[1]["step"], json.Entries[1]["loss"]));

        File.WriteAllText(temp["metrics.jsonl"], "{\"step\": 1, \"loss\": 2.0}\n{\"step\": 2, \"loss\": 1.5, \"note\": \"x\"}\n");
        var lines = TrainingLogs.Read(temp["metrics.jsonl"]);
        Assert.Equal([2.0, 1.5], lines.Entries.Select(e => e["loss"]));

        File.WriteAllText(temp["train.log"], """
            [21:38:06] dino-like (SimCLR): 706,352 parameters (+ projection head), 1200 steps
            [21:38:31] resumed at step 835 (1804 s trained so far)
            [21:39:12] step 850/1200 loss 1.94024 (2.738 s/step, 30.7 min, cpu 8.9 min)
            """);
        var text = TrainingLogs.Read(temp["train.log"]);
        Assert.Equal(new Dictionary<string, double> { ["step"] = 850, ["loss"] = 1.94024 }, Assert.Single(text.Entries));
        File.WriteAllText(temp["trainer.log"], "info: step 500/12000 [expansion] loss 0.1123 mse 0.1101 attn 0.2204 lr 0.0001 11.9 samples/s\n");
        Assert.Equal(new Dictionary<string, double> { ["step"] = 500, ["loss"] = 0.1123, ["mse"] = 0.1101, ["attn"] = 0.2204, ["lr"] = 0.0001 },
            Assert.Single(TrainingLogs.Read(temp["trainer.log"]).Entries));

        // A run stopped after step 300 and resumed from its step-200 checkpoint: the resumed run's entries count.
        File.WriteAllText(temp["resumed.log"], "step 100/400 loss 4\nstep 200/400 loss 3\nstep 300/400 loss 2.5\nresumed at step 200\nstep 300/400 loss 2\nstep 400/400 loss 1\n");
        var resumed = TrainingLogs.Read(temp["resumed.log"]);
        Assert.Equal([100.0, 200, 300, 400], resumed.Entries.Select(e => e["step"]));
        Assert.Equal([4.0, 3, 2, 1], resumed.Entries.Select(e => e["loss"]));

        File.WriteAllText(temp["empty.log"], "nothing here\n");
        Assert.Contains("empty.log", Assert.Throws<InvalidDataException>(() => TrainingLogs.Read(temp["empty.log"])).Message);
        File.WriteAllText(temp["object.json"], "{\"steps\": 3}");
        Assert.Contains("'log'", Assert.Throws<InvalidDataException>(() => TrainingLogs.Read(temp["object.json"])).Message);
    }

    [Fact]
    public void A_checkpoint_state_is_named_after_its_run_and_one_line_JSON_lines_read()
    {
        using var temp = new TempFolder();
        var step = Path.Combine(temp["vae"], "checkpoints", "step-00000200");
        Directory.CreateDirectory(step);
        File.WriteAllText(Path.Combine(step, "state.json"), """{"step":200,"log":[{"step":200,"l1":0.05}]}""");
        var log = TrainingLogs.Read(Path.Combine(step, "state.json"));
        Assert.Equal(("vae", 0.05), (log.Name, log.Entries[0]["l1"]));
        File.WriteAllText(temp["one.jsonl"], "{\"step\": 1, \"mse\": 0.5}\n");
        Assert.Equal(0.5, Assert.Single(TrainingLogs.Read(temp["one.jsonl"]).Entries)["mse"]);
    }
}
