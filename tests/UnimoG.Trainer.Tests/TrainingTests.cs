using System.Security.Cryptography;
using System.Text.Json.Nodes;
using TorchSharp;
using Xunit.Abstractions;
using UnimoG.Modeling.Checkpoints;
using UnimoG.TestSupport;
using UnimoG.Engines.Trainer.Conditions;
using UnimoG.Engines.Trainer.Training;
using static TorchSharp.torch;

namespace UnimoG.Trainer.Tests;

/// <summary>End-to-end training runs on the tiny world: what the trainer must show.</summary>
[Collection("torch threads")]
public class TrainingTests(ITestOutputHelper output)
{
    private static readonly TinyWorld World = TinyWorld.Instance;

    private static Dictionary<string, Tensor> Weights(string checkpointOrFolder, string component = "unet")
    {
        var file = Path.Combine(checkpointOrFolder, component, UnimoG.Engines.Trainer.Training.Trainer.WeightsFile);
        var st = SafetensorsFile.Open(file);
        return st.Entries.Keys.ToDictionary(k => k, k => st.Read(k));
    }

    private static void AssertIdentical(Dictionary<string, Tensor> a, Dictionary<string, Tensor> b, string what)
    {
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (k, t) in a) TensorAssert.Identical(t, b[k], $"{what} {k}");
    }

    [Theory]
    [InlineData("epsilon")]
    [InlineData("v_prediction")]
    public void A_tiny_model_overfits_one_batch(string prediction)
    {
        var dir = TinyWorld.TempDir("overfit");
        var (trainer, _) = TinyWorld.Trainer(World.Config(dir, steps: 60, extra: new JsonObject
        {
            ["model"] = new JsonObject { ["unet_config"] = World.UNetConfig, ["vae"] = World.Vae, ["prediction_type"] = prediction },
            ["overfit_one_batch"] = true,
            ["condition_dropout"] = 0.0,
            ["optimizer"] = new JsonObject { ["learning_rate"] = 3e-3, ["weight_decay"] = 0.0 },
            ["ema"] = new JsonObject { ["enabled"] = false },
        }));
        var losses = new List<double>();
        using (trainer)
        using (trainer.Progress.Subscribe(new Observer(p => { if (p.State == RunState.Running) losses.Add(p.Loss); })))
            trainer.Run(resume: false);
        Assert.Equal(60, losses.Count);
        var first = losses[0];
        var last = losses.TakeLast(5).Average();
        output.WriteLine($"{prediction}: loss {first:G4} -> {last:G4} ({first / last:F1}x) over 60 steps");
        Assert.True(last * 10 <= first, $"loss fell from {first:G4} to {last:G4} only (need tenfold)");
    }

    [Fact]
    public void The_encoder_weights_are_byte_identical_after_training()
    {
        var dir = TinyWorld.TempDir("frozen");
        var config = TinyWorld.Parse(World.Config(dir, stage: 2, steps: 3));
        var encoder = TinyWorld.NewEncoder();
        string Hash()
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var m in new nn.Module[] { encoder.Vision, (nn.Module)encoder.Adapter, encoder.Llm })
                foreach (var (name, t) in m.state_dict())
                {
                    sha.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
                    using var c = t.contiguous();
                    sha.AppendData(c.bytes);
                }
            return Convert.ToHexString(sha.GetHashAndReset());
        }
        var before = Hash();
        var components = TrainingComponents.Load(config);
        components.Conditions.Dispose();   // train with our own instance of the same encoder, to inspect it afterwards
        var mine = new TrainingComponents(components.UNet, components.Vae, components.Scheduler, new MllmConditions(encoder, ownsEncoder: false));
        using (var trainer = new UnimoG.Engines.Trainer.Training.Trainer(config, mine, new ListLogger()))
        {
            var result = trainer.Run(resume: false);
            Assert.Equal(3, result.Step);
        }
        Assert.Equal(before, Hash());
        Assert.All(encoder.Llm.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(encoder.Llm.parameters(), p => Assert.True(p.grad is null));
        encoder.Dispose();
    }

    [Fact]
    public void Lambda_zero_is_exactly_the_plain_MSE_run_and_lambda_above_zero_is_not()
    {
        string Run(string name, JsonNode? attention)
        {
            var dir = TinyWorld.TempDir(name);
            var json = JsonNode.Parse(World.Config(dir, stage: 2, steps: 3))!.AsObject();
            json.Remove("attention_loss");
            if (attention is not null) json["attention_loss"] = attention;
            var (trainer, _) = TinyWorld.Trainer(json.ToJsonString());
            using (trainer) return trainer.Run(resume: false).Checkpoint!;
        }
        var plain = Weights(Run("plain", null));
        var zero = Weights(Run("lambda0", new JsonObject { ["lambda"] = 0.0, ["max_resolution"] = 8 }));
        AssertIdentical(plain, zero, "lambda 0 vs plain MSE");
        var half = Weights(Run("lambda05", new JsonObject { ["lambda"] = 0.5 }));
        Assert.Contains(plain.Keys, k => !plain[k].equal(half[k]).all().item<bool>());
    }

    [Fact]
    public void Training_2N_steps_equals_N_then_resume_N_bit_for_bit()
    {
        // Stage 2 with everything that carries state: attention loss, accumulation, EMA, dropout, cosine warm-up,
        // epochs rolling over (12 samples, 2 per batch, 2 batches per step), on-the-fly VAE latents.
        var extra = new JsonObject
        {
            ["gradient_accumulation_steps"] = 2,
            ["condition_dropout"] = 0.3,
            ["lr_schedule"] = new JsonObject { ["kind"] = "cosine", ["warmup_steps"] = 2 },
        };
        var straightDir = TinyWorld.TempDir("straight");
        var (straight, _) = TinyWorld.Trainer(World.Config(straightDir, stage: 2, steps: 8, extra: extra));
        string straightCheckpoint;
        using (straight) straightCheckpoint = straight.Run(resume: false).Checkpoint!;

        var resumedDir = TinyWorld.TempDir("resumed");
        var (first, _) = TinyWorld.Trainer(World.Config(resumedDir, stage: 2, steps: 8, extra: extra));
        var attn = new List<double>();
        using (var cts = new CancellationTokenSource())
        using (first)
        using (first.Progress.Subscribe(new Observer(p =>
        {
            if (p.AttnLoss is { } a) attn.Add(a);
            if (p.Step == 4 && p.State == RunState.Running) cts.Cancel();
        })))
        {
            var stopped = first.Run(cts.Token, resume: false);
            Assert.Equal(RunState.Stopped, stopped.State);
            Assert.Equal(4, stopped.Step);
        }
        Assert.Equal(4, attn.Count);   // the attention loss took part in every step
        output.WriteLine($"attention losses of the first 4 steps: {string.Join(", ", attn.Select(a => a.ToString("G4")))}");
        var (second, log) = TinyWorld.Trainer(World.Config(resumedDir, stage: 2, steps: 8, extra: extra));
        string resumedCheckpoint;
        using (second) resumedCheckpoint = second.Run(resume: true).Checkpoint!;
        Assert.Contains(log.Lines, l => l.Text.Contains("Resumed from") && l.Text.Contains("step 4"));

        AssertIdentical(Weights(straightCheckpoint), Weights(resumedCheckpoint), "U-Net");
        AssertIdentical(Weights(straightCheckpoint, "unet_ema"), Weights(resumedCheckpoint, "unet_ema"), "EMA");
        var a = SafetensorsFile.Open(Path.Combine(straightCheckpoint, "optimizer.safetensors"));
        var b = SafetensorsFile.Open(Path.Combine(resumedCheckpoint, "optimizer.safetensors"));
        foreach (var k in a.Entries.Keys) TensorAssert.Identical(a.Read(k), b.Read(k), k);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straightCheckpoint, "random_states.safetensors")),
            File.ReadAllBytes(Path.Combine(resumedCheckpoint, "random_states.safetensors")));
    }

    [Fact]
    public void Memory_stays_flat_over_steps()
    {
        var dir = TinyWorld.TempDir("memory");
        var (trainer, _) = TinyWorld.Trainer(World.Config(dir, stage: 2, steps: 10));
        var live = new List<long>();
        using (trainer)
        using (trainer.Progress.Subscribe(new Observer(p =>
        {
            if (p.State == RunState.Running) live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        })))
            trainer.Run(resume: false);
        // after the first steps (optimizer state, phase data) nothing accumulates
        Assert.Equal(live[3], live[^1]);
    }

    [Fact]
    public void Condition_dropout_replaces_about_the_configured_share_of_rows()
    {
        var dir = TinyWorld.TempDir("dropout");
        var (trainer, _) = TinyWorld.Trainer(World.Config(dir, steps: 60, extra: new JsonObject
        {
            ["condition_dropout"] = 0.25,
            ["batch_size"] = 4,
            ["ema"] = new JsonObject { ["enabled"] = false },
        }));
        int rows = 0, dropped = 0;
        using (trainer)
        {
            trainer.BatchObserver = (_, _, drop) => { rows += drop.Count; dropped += drop.Count(d => d); };
            trainer.Run(resume: false);
        }
        Assert.Equal(240, rows);
        // Binomial(240, 0.25): mean 60, sd 6.7; 4 sd either side
        Assert.InRange(dropped, 33, 87);
    }

    [Fact]
    public void Stage_two_uses_plain_captions_for_about_the_configured_share()
    {
        var dir = TinyWorld.TempDir("textonly");
        var json = JsonNode.Parse(World.Config(dir, stage: 2, steps: 40))!.AsObject();
        json["phases"]![0]!["data"]!["text_only_share"] = 0.5;
        json["ema"] = new JsonObject { ["enabled"] = false };
        var (trainer, _) = TinyWorld.Trainer(json.ToJsonString());
        int rows = 0, plain = 0;
        using (trainer)
        {
            trainer.BatchObserver = (_, p, _) => { rows += p.Count; plain += p.Count(x => x); };
            trainer.Run(resume: false);
        }
        Assert.Equal(80, rows);
        Assert.InRange(plain, 22, 58);   // Binomial(80, 0.5): sd 4.5
    }

    [Fact]
    public void Batches_hold_one_shape_per_bucket()
    {
        var dir = TinyWorld.TempDir("buckets");
        var json = JsonNode.Parse(World.Config(dir, steps: 12))!.AsObject();
        json["phases"]![0]!["data"]!["path"] = World.Stage1Wide;
        var (trainer, _) = TinyWorld.Trainer(json.ToJsonString());
        var shapes = new HashSet<string>();
        using (trainer)
        {
            trainer.BatchObserver = (examples, _, _) =>
            {
                var sizes = examples.Select(e => (e.Width, e.Height)).Distinct().ToList();
                Assert.Single(sizes);
                shapes.Add($"{sizes[0].Width}x{sizes[0].Height}");
            };
            trainer.Run(resume: false);
        }
        Assert.Equal(["16x16", "32x16"], shapes.Order());
    }

    [Fact]
    public void Keep_last_k_checkpoints()
    {
        var dir = TinyWorld.TempDir("keep");
        var (trainer, _) = TinyWorld.Trainer(World.Config(dir, steps: 5, extra: new JsonObject { ["checkpoints"] = new JsonObject { ["every"] = 1, ["keep_last"] = 2 } }));
        using (trainer) trainer.Run(resume: false);
        var names = Directory.GetDirectories(Path.Combine(dir, "checkpoints")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["step-00000004", "step-00000005"], names);
        // the exported U-Net is the EMA's, in the diffusers layout
        Assert.True(File.Exists(Path.Combine(dir, "unet", "config.json")));
        AssertIdentical(Weights(Path.Combine(dir, "checkpoints", "step-00000005"), "unet_ema"), Weights(dir), "exported EMA");
    }

    [Fact]
    public void A_curriculum_runs_its_phases_in_order_and_draws_sample_grids()
    {
        var dir = TinyWorld.TempDir("curriculum");
        var json = JsonNode.Parse(World.Config(dir, steps: 3))!.AsObject();
        json["phases"] = new JsonArray(
            new JsonObject { ["name"] = "small", ["data"] = new JsonObject { ["path"] = World.Stage1Data, ["limit"] = 4 }, ["steps"] = 3, ["resolution"] = 16, ["learning_rate"] = 1e-3 },
            new JsonObject { ["name"] = "tuning", ["data"] = new JsonObject { ["kind"] = "prepared", ["path"] = World.Stage2Data }, ["steps"] = 2, ["resolution"] = 16, ["learning_rate"] = 1e-4, ["batch_size"] = 3 });
        json["samples"] = new JsonObject { ["every"] = 2, ["prompts"] = new JsonArray("a red square", "a blue square", "a green square"), ["steps"] = 3 };
        var (trainer, _) = TinyWorld.Trainer(json.ToJsonString());
        var seen = new List<(string Phase, string Key, int Batch)>();
        var lrs = new List<(string Phase, double Lr, double? Attn)>();
        using (trainer)
        using (trainer.Progress.Subscribe(new Observer(p => { if (p.State == RunState.Running) lrs.Add((p.Phase, p.LearningRate, p.AttnLoss)); })))
        {
            trainer.BatchObserver = (examples, _, _) => seen.AddRange(examples.Select(e => (trainer.Config.Phases[trainer.Phase].Name, e.Key, examples.Count)));
            trainer.Run(resume: false);
        }
        Assert.Equal(6, seen.Count(s => s.Phase == "small"));
        Assert.All(seen.Where(s => s.Phase == "small"), s => Assert.True(s.Key.StartsWith("s1_") && int.Parse(s.Key[3..]) < 4 && s.Batch == 2));
        Assert.Equal(6, seen.Count(s => s.Phase == "tuning"));
        Assert.All(seen.Where(s => s.Phase == "tuning"), s => Assert.True(s.Key.StartsWith("s2_") && s.Batch == 3));
        Assert.Equal(["small", "small", "small", "tuning", "tuning"], lrs.Select(l => l.Phase));
        Assert.Equal([1e-3, 1e-3, 1e-3, 1e-4, 1e-4], lrs.Select(l => l.Lr));
        Assert.All(lrs.Take(3), l => Assert.Null(l.Attn));
        // sample grids at steps 2 and 4: three 16x16 images side by side
        var grids = Directory.GetFiles(Path.Combine(dir, "samples")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["step-00000002.png", "step-00000004.png"], grids);
        var png = UnimoG.Imaging.ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(dir, "samples", "step-00000002.png")));
        Assert.Equal((48, 16), (png.Width, png.Height));
    }

    private sealed class Observer(Action<TrainingProgress> next) : IObserver<TrainingProgress>
    {
        public void OnCompleted() { }
        public void OnError(Exception error) { }
        public void OnNext(TrainingProgress value) => next(value);
    }
}

[CollectionDefinition("torch threads", DisableParallelization = true)]
public class TorchThreadsCollection;
