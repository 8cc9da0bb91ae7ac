using System.Text.Json.Serialization;
using UnimoG.Data.Config;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Schedulers;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>Where the models come from (<c>model</c>). Only the U-Net trains; the VAE and the encoder are frozen.</summary>
public sealed record ModelSettings : IValidatedConfig
{
    /// <summary>Start from these U-Net weights (diffusers <c>unet</c> folder or pipeline folder); null trains from scratch.</summary>
    [JsonPropertyName("unet")] public string? UNet { get; init; }
    /// <summary>The U-Net's <c>config.json</c> (a path, or the JSON object inline) when training from scratch.</summary>
    [JsonPropertyName("unet_config")] public InlineOrFile<UNet2DConditionConfig>? UNetConfig { get; init; }
    [JsonPropertyName("vae")] public string? Vae { get; init; }
    /// <summary>A scheduler folder or file, or the JSON object inline; DDIM's defaults when absent.</summary>
    [JsonPropertyName("scheduler")] public InlineOrFile<DdimSchedulerConfig>? Scheduler { get; init; }
    /// <summary>Overrides the scheduler's <c>prediction_type</c> (<c>epsilon</c> or <c>v_prediction</c>).</summary>
    [JsonPropertyName("prediction_type")] public string? PredictionType { get; init; }

    public void Validate(ConfigLocation at)
    {
        if (UNet is null && UNetConfig is null)
            throw at["unet"].Error("give the U-Net to start from (model.unet) or its configuration to train from scratch (model.unet_config)");
        if (PredictionType is { } p) at["prediction_type"].OneOf(p, "epsilon", "v_prediction");
    }

    /// <summary>Paths made absolute against <paramref name="baseDir"/>; the U-Net and scheduler configs read (from their files or inline, and checked).</summary>
    public ModelSettings Resolve(ConfigLocation at, string baseDir) => this with
    {
        UNet = TrainingConfig.FullPath(at["unet"], baseDir, UNet),
        Vae = TrainingConfig.FullPath(at["vae"], baseDir, Vae),
        UNetConfig = UNetConfig?.Load(at["unet_config"], baseDir, p => ConfigJson.Read<UNet2DConditionConfig>(p)),
        Scheduler = Scheduler?.Load(at["scheduler"], baseDir, DdimSchedulerConfig.Load),
    };
}
