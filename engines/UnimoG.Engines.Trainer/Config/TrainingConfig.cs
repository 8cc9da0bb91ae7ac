using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>
/// The whole run, as <c>unimog train --config FILE.json</c> reads it (docs/training.md lists every key). Our own format:
/// an unknown key is refused (a misspelt one would silently train with the default); comments are allowed.
/// </summary>
public sealed record TrainingConfig : IValidatedConfig
{
    [JsonPropertyName("output_dir")] public string OutputDir { get; init; } = "";
    [JsonPropertyName("seed")] public long Seed { get; init; }
    [JsonPropertyName("threads")] public int? Threads { get; init; }
    [JsonPropertyName("device")] public string Device { get; init; } = "cpu";
    /// <summary><c>fp32</c>, or <c>bf16</c>: bfloat16 forward and backward over float32 master weights (<see cref="Training.MixedPrecision"/>).</summary>
    [JsonPropertyName("precision")] public string Precision { get; init; } = "fp32";
    [JsonPropertyName("model")] public ModelSettings Model { get; init; } = new();
    [JsonPropertyName("conditions")] public ConditionSettings Conditions { get; init; } = new();
    [JsonPropertyName("latent_cache")] public string? LatentCache { get; init; }
    [JsonPropertyName("optimizer")] public OptimizerSettings Optimizer { get; init; } = new();
    [JsonPropertyName("lr_schedule")] public ScheduleSettings Schedule { get; init; } = new();
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 8;
    [JsonPropertyName("gradient_accumulation_steps")] public int GradientAccumulationSteps { get; init; } = 1;
    [JsonPropertyName("condition_dropout")] public double ConditionDropout { get; init; } = 0.1;
    [JsonPropertyName("ema")] public EmaSettings Ema { get; init; } = new();
    [JsonPropertyName("buckets")] public IReadOnlyList<double> Buckets { get; init; } = [0.5, 0.75, 1.0, 1.5, 2.0];
    [JsonPropertyName("phases")] public IReadOnlyList<PhaseSettings> Phases { get; init; } = [];
    [JsonPropertyName("attention_loss")] public AttentionLossSettings? AttentionLoss { get; init; }
    [JsonPropertyName("checkpoints")] public CheckpointSettings Checkpoints { get; init; } = new();
    [JsonPropertyName("log_every")] public int LogEvery { get; init; } = 10;
    /// <summary>Debugging: every step trains on the first batch with the same latents, noise, timesteps and dropout.</summary>
    [JsonPropertyName("overfit_one_batch")] public bool OverfitOneBatch { get; init; }
    [JsonPropertyName("samples")] public SampleSettings Samples { get; init; } = new();
    /// <summary>Data parallelism under mpirun (docs/training.md, "Distributed training").</summary>
    [JsonPropertyName("distributed")] public DistributedSettings Distributed { get; init; } = new();

    /// <summary>The file it was read from (or what stands for it), named by errors found later (e.g. a layer name the U-Net lacks).</summary>
    [JsonIgnore] public string File { get; init; } = "training config";

    [JsonIgnore] public ConfigLocation Location => new(File);

    public int TotalSteps => Phases.Sum(p => p.Steps);

    /// <summary>
    /// SHA-256 of the configuration as read: its canonical JSON (every key, defaults included, sorted; paths absolute; the
    /// U-Net and scheduler configs' content). Comments, layout and key order do not change it. Checkpoints record it;
    /// resume warns when it differs.
    /// </summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ConfigJson.Write(this))));

    public static TrainingConfig Load(string path)
    {
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"training config not found: {path}", path);
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return Parse(System.IO.File.ReadAllText(path), baseDir, path);
    }

    /// <summary>Parses and validates; relative paths are resolved against <paramref name="baseDir"/>.</summary>
    public static TrainingConfig Parse(string json, string? baseDir = null, string file = "training config")
    {
        var config = ConfigJson.Parse<TrainingConfig>(json, file) with { File = file };
        return config.Resolve(baseDir ?? Environment.CurrentDirectory);
    }

    public void Validate(ConfigLocation at)
    {
        if (OutputDir.Length == 0) throw at["output_dir"].Error("is required");
        if (Threads is { } t) at["threads"].InRange(t, 1, 1024);
        at["device"].OneOf(Device, "cpu", "cuda");
        at["precision"].OneOf(Precision, "fp32", "bf16");
        Model.Validate(at["model"]);
        Conditions.Validate(at["conditions"]);
        Optimizer.Validate(at["optimizer"]);
        Schedule.Validate(at["lr_schedule"]);
        Ema.Validate(at["ema"]);
        AttentionLoss?.Validate(at["attention_loss"]);
        Checkpoints.Validate(at["checkpoints"]);
        Samples.Validate(at["samples"]);
        Distributed.Validate(at["distributed"]);
        ValidateBatches(at);
        ValidatePhases(at);
        if (Model.Vae is null && LatentCache is null)
            throw at["model"]["vae"].Error("is required unless latents come from a cache (latent_cache)");
        if (Samples.Every > 0 && Model.Vae is null)
            throw at["samples"]["every"].Error("sample images need the VAE (model.vae) to decode them");
    }

    private void ValidateBatches(ConfigLocation at)
    {
        at["batch_size"].InRange(BatchSize, 1, 65536);
        at["gradient_accumulation_steps"].InRange(GradientAccumulationSteps, 1, 65536);
        at["condition_dropout"].InRange(ConditionDropout, 0, 1);
        at["log_every"].InRange(LogEvery, 1);
        if (Buckets.Count == 0) throw at["buckets"].Error("must hold at least one aspect ratio");
        for (var i = 0; i < Buckets.Count; i++)
            if (!(Buckets[i] > 0.05 && Buckets[i] < 20))
                throw at["buckets"][i].Error($"must be an aspect ratio (width / height) between 0.05 and 20, got {Buckets[i]}");
    }

    private void ValidatePhases(ConfigLocation at)
    {
        if (Phases.Count == 0) throw at["phases"].Error("is required: a list of {data, steps, resolution[, learning_rate, batch_size, name]}");
        for (var i = 0; i < Phases.Count; i++) Phases[i].Validate(at["phases"][i]);
    }

    /// <summary>Relative paths made absolute against <paramref name="baseDir"/>; the U-Net and scheduler configs read.</summary>
    private TrainingConfig Resolve(string baseDir) => this with
    {
        OutputDir = FullPath(Location["output_dir"], baseDir, OutputDir)!,
        LatentCache = FullPath(Location["latent_cache"], baseDir, LatentCache),
        Model = Model.Resolve(Location["model"], baseDir),
        Conditions = Conditions.Resolve(Location["conditions"], baseDir),
        Phases = Phases.Select((p, i) => p.Resolve(Location["phases"][i], baseDir, i)).ToList(),
    };

    internal static string? FullPath(ConfigLocation at, string baseDir, string? path) => path is null ? null : at.FullPath(baseDir, path);
}
