using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// diffusers' <c>DDIMScheduler</c> configuration (<c>scheduler/scheduler_config.json</c>): the shared keys of
/// <see cref="DiffusersSchedulerConfig"/> plus DDIM's own, with its v0.31.0 defaults (<c>leading</c> spacing).
/// <see cref="Validate"/> rejects a value we do not implement, naming the key.
/// </summary>
public sealed record DdimSchedulerConfig : DiffusersSchedulerConfig, IValidatedConfig
{
    public DdimSchedulerConfig() => TimestepSpacing = "leading";

    [JsonPropertyName("clip_sample")] public bool ClipSample { get; init; } = true;
    [JsonPropertyName("set_alpha_to_one")] public bool SetAlphaToOne { get; init; } = true;
    [JsonPropertyName("clip_sample_range")] public double ClipSampleRange { get; init; } = 1.0;

    public override string ClassName => "DDIMScheduler";

    /// <summary>Reads <c>scheduler_config.json</c> from a scheduler folder, a pipeline folder (its
    /// <c>scheduler/</c> subfolder) or the file itself.</summary>
    public static DdimSchedulerConfig Load(string path) => ConfigJson.Read<DdimSchedulerConfig>(FindFile(path));

    /// <summary>Fails on values diffusers would reject or that would index outside the schedule.</summary>
    public void Validate(ConfigLocation at)
    {
        ValidateCommon(at);
        if (!Thresholding && ClipSample && !(ClipSampleRange > 0)) throw at["clip_sample_range"].Error($"must be > 0, got {ClipSampleRange}");
    }
}
