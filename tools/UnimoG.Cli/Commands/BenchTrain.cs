using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using TorchSharp;
using UnimoG.Data.Shards;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using UnimoG.Modeling.Images;
using UnimoG.Engines.Trainer.Conditions;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Data;
using UnimoG.Engines.Trainer.Training;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog bench train --config FILE.json</c>: training throughput (samples per second) of a configuration's first
/// phase, without checkpoints or sample images. With <c>--synthetic N</c> the data, condition cache and latent cache
/// are N random samples made here (the configuration's U-Net, resolution and batch; conditions of <c>--tokens</c> x
/// cross_attention_dim), which measures the cached-conditions-and-latents path the mini model trains on.
/// </summary>
internal static class BenchTrain
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "training configuration", Required = true };
        var steps = new Option<int>("--steps") { Description = "measured optimizer steps", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "unmeasured steps first", DefaultValueFactory = _ => 2 };
        var threads = new Option<int?>("--threads") { Description = "torch threads (default: the config's)" };
        var synthetic = new Option<int?>("--synthetic") { Description = "use N random samples with cached conditions and latents instead of the config's data" };
        var tokens = new Option<int>("--tokens") { Description = "condition length L of synthetic conditions", DefaultValueFactory = _ => 32 };
        var vaeFactor = new Option<int>("--vae-factor") { Description = "pixels per latent of synthetic latents", DefaultValueFactory = _ => 4 };
        var precision = new Option<string?>("--precision") { Description = "override the config's precision: fp32 or bf16 (bf16 compute over float32 master weights)" };
        var command = new Command("train", "Benchmark training throughput (samples per second).") { config, steps, warmup, threads, synthetic, tokens, vaeFactor, precision };
        command.SetAction(parse =>
        {
            Run(parse.GetValue(config)!, parse.GetValue(steps), parse.GetValue(warmup), parse.GetValue(threads), parse.GetValue(synthetic),
                parse.GetValue(tokens), parse.GetValue(vaeFactor), Console.Out, parse.GetValue(precision));
            return 0;
        });
        return command;
    }

    public static void Run(string configPath, int steps, int warmup, int? threads, int? synthetic, int tokens, int vaeFactor, TextWriter log, string? precision = null)
    {
        if (steps < 1 || warmup < 0 || threads is < 1 || synthetic is < 1 || tokens < 1 || vaeFactor < 1)
            throw new UsageException("--steps, --tokens, --vae-factor, --threads and --synthetic must be positive, --warmup 0 or more");
        var json = JsonNode.Parse(File.ReadAllText(configPath), documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
        var work = Path.Combine(Path.GetTempPath(), $"unimog-bench-train-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var parsed = TrainingConfig.Parse(json.ToJsonString(), baseDir);
            var phase = json["phases"]!.AsArray()[0]!.AsObject();
            phase["steps"] = warmup + steps;
            json["phases"] = new JsonArray(phase.DeepClone());
            json["output_dir"] = Path.Combine(work, "run");
            json["checkpoints"] = new JsonObject { ["every"] = 0 };
            json.Remove("samples");
            json["log_every"] = 1000000;
            if (threads is { } t) json["threads"] = t;
            if (precision is not null) json["precision"] = precision;
            if (synthetic is { } n) Synthesize(json, parsed, n, tokens, vaeFactor, work);
            var config = TrainingConfig.Parse(json.ToJsonString(), baseDir);
            using var trainer = new UnimoG.Engines.Trainer.Training.Trainer(config, TrainingComponents.Load(config), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            var p = config.Phases[0];
            log.WriteLine($"bench train: {trainer.UNet.parameters().Sum(x => x.numel()):N0} U-Net parameters, batch {p.BatchSize ?? config.BatchSize} x accumulation {config.GradientAccumulationSteps}, " +
                $"{p.Resolution} px, conditions {(synthetic is null ? config.Conditions.Source : $"synthetic cache ({tokens} tokens)")}, " +
                $"latents {(config.LatentCache is null ? "VAE on the fly" : "cached")}, EMA {(config.Ema.Enabled ? "on" : "off")}, precision {config.Precision}, {torch.get_num_threads()} threads");
            log.WriteLine($"load average before: {BenchCommand.Load()} ({Environment.ProcessorCount} cores)");
            var times = new List<(double Seconds, int Samples)>();
            var sw = Stopwatch.StartNew();
            using var sub = trainer.Progress.Subscribe(new Observer(m =>
            {
                if (m.State != RunState.Running) return;
                var seconds = sw.Elapsed.TotalSeconds;
                sw.Restart();
                var samples = (p.BatchSize ?? config.BatchSize) * config.GradientAccumulationSteps;
                var (rss, peak) = BenchCommand.Memory();
                var t = trainer.LastTimings;
                log.WriteLine($"step {m.Step}{(m.Step <= warmup ? " (warm-up)" : "")}: {seconds:F2} s (inputs {t.Inputs:F2}, forward+backward {t.Compute:F2}, AdamW+EMA {t.Update:F2}), {samples / seconds:F1} samples/s, loss {m.Loss:G4}, RSS {rss / 1e9:F2} GB, peak {peak / 1e9:F2} GB, live tensors {DisposeScopeManager.Statistics.ThreadTotalLiveCount}");
                if (m.Step > warmup) times.Add((seconds, samples));
            }));
            trainer.Run(resume: false);
            var total = times.Sum(x => x.Seconds);
            var median = times.Select(x => x.Seconds).Order().ElementAt(times.Count / 2);
            log.WriteLine($"throughput {times.Sum(x => x.Samples) / total:F1} samples/s over {steps} steps (median step {median:F2} s); peak RSS {BenchCommand.Memory().Peak / 1e9:F2} GB; load average after: {BenchCommand.Load()}");
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { }
        }
    }

    /// <summary>Random images (only their size is read), a random condition cache and a random latent cache.</summary>
    private static void Synthesize(JsonObject json, TrainingConfig parsed, int n, int tokens, int vaeFactor, string work)
    {
        var unetConfig = parsed.Model.UNetConfig is { } inline ? inline.Value
            : ConfigJson.Read<UNet2DConditionConfig>(Path.Combine(Pretrained.ComponentFolder(parsed.Model.UNet!, "unet"), "config.json"));
        var width = unetConfig.CrossAttentionDim.At(0);
        var res = parsed.Phases[0].Resolution;
        var latent = res / vaeFactor;
        var g = new Generator(0);
        var data = Path.Combine(work, "data");
        Directory.CreateDirectory(data);
        using (var png = zeros(3, res, res))
        {
            var bytes = Png.Encode(png);
            var caption = Encoding.UTF8.GetBytes("{\"caption_en\": \"a random scene\"}");
            ShardWriter.WriteFile(Path.Combine(data, "part-000.tar"),
                Enumerable.Range(0, n).SelectMany(i => new[] { ($"b{i:D6}.png", bytes), ($"b{i:D6}.json", caption) }));
        }
        var conds = new TensorStoreWriter(Path.Combine(work, "conditions"), CachedConditions.Kind, new JsonObject { ["width"] = width, ["model"] = "synthetic" });
        var lats = new TensorStoreWriter(Path.Combine(work, "latents"), LatentSource.Kind, new JsonObject
        {
            ["scaling_factor"] = 1.0, ["latent_channels"] = unetConfig.InChannels, ["vae_scale_factor"] = vaeFactor,
        });
        using (var u = randn([1, width], generator: g))
            conds.Add(CachedConditions.UnconditionalKey, new Dictionary<string, Tensor> { ["hidden_states"] = u, ["attention_mask"] = ones(1, ScalarType.Int64) });
        var bucket = new Bucket(0, 1.0, res, res);
        for (var i = 0; i < n; i++)
        {
            using var scope = NewDisposeScope();
            conds.Add($"b{i:D6}", new Dictionary<string, Tensor> { ["hidden_states"] = randn([tokens, width], generator: g), ["attention_mask"] = ones(tokens, ScalarType.Int64) });
            lats.Add(LatentSource.CacheKey($"b{i:D6}", bucket), new Dictionary<string, Tensor>
            {
                ["mean"] = randn([unetConfig.InChannels, latent, latent], generator: g), ["logvar"] = full([unetConfig.InChannels, latent, latent], -4f),
            });
        }
        conds.Complete();
        lats.Complete();
        var phase = json["phases"]![0]!.AsObject();
        phase["data"] = new JsonObject { ["kind"] = "emojiworld", ["path"] = data };
        json["conditions"] = new JsonObject { ["source"] = "cache", ["cache"] = Path.Combine(work, "conditions") };
        json["latent_cache"] = Path.Combine(work, "latents");
        json["buckets"] = new JsonArray(1.0);
        json["model"]!.AsObject().Remove("vae");
    }

    private sealed class Observer(Action<TrainingProgress> next) : IObserver<TrainingProgress>
    {
        public void OnCompleted() { }
        public void OnError(Exception error) { }
        public void OnNext(TrainingProgress value) => next(value);
    }
}
