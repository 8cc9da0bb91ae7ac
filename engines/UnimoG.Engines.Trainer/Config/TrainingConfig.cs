using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>Where the models come from. Only the U-Net trains; the VAE and the encoder are frozen.</summary>
public sealed record ModelSettings
{
    /// <summary>Start from these U-Net weights (diffusers <c>unet</c> folder or pipeline folder); null trains from scratch.</summary>
    public string? UNet { get; init; }
    /// <summary>The U-Net's <c>config.json</c> (file path, or the JSON object inline) when training from scratch.</summary>
    public string? UNetConfigJson { get; init; }
    public string? UNetConfigSource { get; init; }
    public string? Vae { get; init; }
    /// <summary>A scheduler folder / file, or null for the inline JSON in <see cref="SchedulerJson"/> (or DDIM defaults).</summary>
    public string? Scheduler { get; init; }
    public string? SchedulerJson { get; init; }
    /// <summary>Overrides the scheduler's <c>prediction_type</c> (<c>epsilon</c> or <c>v_prediction</c>).</summary>
    public string? PredictionType { get; init; }
}

/// <summary>Where condition tensors come from: the in-process frozen encoder, a cache, or the Encoder service.</summary>
public sealed record ConditionSettings
{
    public string Source { get; init; } = "encoder";          // encoder | cache | service
    public string EncoderKind { get; init; } = "mllm";        // mllm | clip
    public string? Encoder { get; init; }
    public string? Tokenizer { get; init; }
    public int? ConditionLayer { get; init; }
    public string? Cache { get; init; }
    public string? Address { get; init; }
    public string Model { get; init; } = "";
    public int RequestBatch { get; init; } = 32;
}

public sealed record OptimizerSettings
{
    public double LearningRate { get; init; } = 1e-4;
    public double WeightDecay { get; init; } = 0.01;             // the paper's; TorchSharp's default is 0
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Eps { get; init; } = 1e-8;
    /// <summary>Clip the global gradient norm to this; 0 disables clipping.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
}

public sealed record ScheduleSettings
{
    public string Kind { get; init; } = "constant";             // constant | cosine
    public int WarmupSteps { get; init; }
    public double MinLrRatio { get; init; }
}

/// <summary>diffusers' <c>EMAModel</c> settings (decay, warm-up).</summary>
public sealed record EmaSettings
{
    public bool Enabled { get; init; } = true;
    public double Decay { get; init; } = 0.9999;
    public double MinDecay { get; init; }
    public int UpdateAfterStep { get; init; }
    public bool UseWarmup { get; init; } = true;
    public double InvGamma { get; init; } = 1.0;
    public double Power { get; init; } = 2.0 / 3.0;
}

public sealed record DataSettings
{
    public string Kind { get; init; } = "emojiworld";           // emojiworld | prepared
    public string Path { get; init; } = "";
    /// <summary>EmojiWorld caption: <c>en</c> (caption_en), <c>zh</c> (caption_zh), <c>en+zh</c> (both, as two samples) or <c>txt</c> ({key}.txt).</summary>
    public string Caption { get; init; } = "en";
    /// <summary>Prepared (stage-2) data: share of samples trained on their plain caption.</summary>
    public double TextOnlyShare { get; init; } = 0.1;
    /// <summary>Use only the first N samples (0 = all).</summary>
    public int Limit { get; init; }
}

/// <summary>One curriculum phase (the paper's pre-training has three): data, steps, resolution, learning rate.</summary>
public sealed record PhaseSettings
{
    public string Name { get; init; } = "";
    public DataSettings Data { get; init; } = new();
    public int Steps { get; init; }
    public int Resolution { get; init; } = 64;
    public double? LearningRate { get; init; }
    public int? BatchSize { get; init; }
}

/// <summary>The visual-enhanced attention loss (stage 2). See docs/training.md for the exact aggregation.</summary>
public sealed record AttentionLossSettings
{
    public double Lambda { get; init; }
    /// <summary>Cross-attention layer names; null means every cross-attention layer at map side &lt;= MaxResolution.</summary>
    public IReadOnlyList<string>? Layers { get; init; }
    public int? MaxResolution { get; init; }
    public string Tokens { get; init; } = "sum";               // sum | mean | max
    public string Heads { get; init; } = "mean";               // mean | max
    public string MaskResize { get; init; } = "area";          // area | bilinear | nearest
    public string LayerReduction { get; init; } = "mean";      // mean | sum
}

public sealed record CheckpointSettings
{
    public int Every { get; init; } = 500;
    public int KeepLast { get; init; } = 3;
}

public sealed record SampleSettings
{
    public int Every { get; init; }
    public IReadOnlyList<string> Prompts { get; init; } = [];
    public int Steps { get; init; } = 20;
    public double GuidanceScale { get; init; } = 5.0;
    public long Seed { get; init; }
    public int? Resolution { get; init; }
}

/// <summary>The whole run, as <c>unimog train --config FILE.json</c> reads it (docs/training.md lists every key).</summary>
public sealed record TrainingConfig
{
    public string OutputDir { get; init; } = "";
    public long Seed { get; init; }
    public int? Threads { get; init; }
    public string Device { get; init; } = "cpu";
    public string MixedPrecision { get; init; } = "no";         // no | bf16 (CUDA only)
    public ModelSettings Model { get; init; } = new();
    public ConditionSettings Conditions { get; init; } = new();
    public string? LatentCache { get; init; }
    public OptimizerSettings Optimizer { get; init; } = new();
    public ScheduleSettings Schedule { get; init; } = new();
    public int BatchSize { get; init; } = 8;
    public int GradientAccumulationSteps { get; init; } = 1;
    public double ConditionDropout { get; init; } = 0.1;
    public EmaSettings Ema { get; init; } = new();
    public IReadOnlyList<double> Buckets { get; init; } = [0.5, 0.75, 1.0, 1.5, 2.0];
    public IReadOnlyList<PhaseSettings> Phases { get; init; } = [];
    public AttentionLossSettings? AttentionLoss { get; init; }
    public CheckpointSettings Checkpoints { get; init; } = new();
    public int LogEvery { get; init; } = 10;
    /// <summary>Debugging: every step trains on the first batch with the same latents, noise, timesteps and dropout.</summary>
    public bool OverfitOneBatch { get; init; }
    public SampleSettings Samples { get; init; } = new();

    /// <summary>The JSON it was read from (hashed into checkpoints).</summary>
    public string SourceJson { get; init; } = "{}";

    public int TotalSteps => Phases.Sum(p => p.Steps);

    /// <summary>SHA-256 of the configuration text with whitespace normalised (checkpoints record it; resume compares).</summary>
    public string Hash()
    {
        using var doc = JsonDocument.Parse(SourceJson);
        var canonical = JsonSerializer.Serialize(doc.RootElement);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    public static TrainingConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"training config not found: {path}", path);
        var baseDir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        return Parse(File.ReadAllText(path), baseDir);
    }

    /// <summary>Parses and validates; relative paths are resolved against <paramref name="baseDir"/>.</summary>
    public static TrainingConfig Parse(string json, string? baseDir = null) => TrainingConfigParser.Parse(json, baseDir ?? Environment.CurrentDirectory);
}
