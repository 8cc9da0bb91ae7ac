using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// diffusers' <c>DDIMScheduler</c> configuration (<c>scheduler/scheduler_config.json</c>), with its key names and its
/// v0.31.0 defaults, read by <see cref="ConfigJson"/>. <see cref="Validate"/> rejects a value we do not implement,
/// naming the key.
/// </summary>
public sealed record DdimSchedulerConfig : IValidatedConfig
{
    [JsonPropertyName("num_train_timesteps")] public int NumTrainTimesteps { get; init; } = 1000;
    [JsonPropertyName("beta_start")] public double BetaStart { get; init; } = 0.0001;
    [JsonPropertyName("beta_end")] public double BetaEnd { get; init; } = 0.02;
    /// <summary><c>linear</c>, <c>scaled_linear</c> or <c>squaredcos_cap_v2</c>; ignored when <see cref="TrainedBetas"/> is set.</summary>
    [JsonPropertyName("beta_schedule")] public string BetaSchedule { get; init; } = "linear";
    [JsonPropertyName("trained_betas")] public IReadOnlyList<double>? TrainedBetas { get; init; }
    [JsonPropertyName("clip_sample")] public bool ClipSample { get; init; } = true;
    [JsonPropertyName("set_alpha_to_one")] public bool SetAlphaToOne { get; init; } = true;
    [JsonPropertyName("steps_offset")] public int StepsOffset { get; init; }
    /// <summary><c>epsilon</c>, <c>v_prediction</c> or <c>sample</c>.</summary>
    [JsonPropertyName("prediction_type")] public string PredictionType { get; init; } = "epsilon";
    [JsonPropertyName("thresholding")] public bool Thresholding { get; init; }
    [JsonPropertyName("dynamic_thresholding_ratio")] public double DynamicThresholdingRatio { get; init; } = 0.995;
    [JsonPropertyName("clip_sample_range")] public double ClipSampleRange { get; init; } = 1.0;
    [JsonPropertyName("sample_max_value")] public double SampleMaxValue { get; init; } = 1.0;
    /// <summary><c>leading</c>, <c>trailing</c> or <c>linspace</c> (Table 2 of arXiv:2305.08891).</summary>
    [JsonPropertyName("timestep_spacing")] public string TimestepSpacing { get; init; } = "leading";
    [JsonPropertyName("rescale_betas_zero_snr")] public bool RescaleBetasZeroSnr { get; init; }

    /// <summary>
    /// Keys DDIM does not take: diffusers' metadata (<c>_class_name</c>, ...) and the keys of its other schedulers
    /// (<see cref="ForeignKeys"/>), which <c>DDIMScheduler.from_config</c> ignores too (SD 1.5 ships a PNDM config).
    /// </summary>
    [JsonExtensionData] public IgnoredKeys? IgnoredKeys { get; init; }

    /// <summary>Keys of diffusers' other schedulers; any other key is refused, so a misspelt DDIM key fails.</summary>
    public static readonly IReadOnlySet<string> ForeignKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "algorithm_type", "disable_corrector", "euler_at_final", "final_sigmas_type", "interpolation_type",
        "lambda_min_clipped", "lower_order_final", "predict_x0", "rho", "sigma_data", "sigma_max", "sigma_min",
        "sigma_schedule", "skip_prk_steps", "solver_order", "solver_p", "solver_type", "timestep_type",
        "use_beta_sigmas", "use_exponential_sigmas", "use_karras_sigmas", "use_lu_lambdas", "variance_type",
    };

    /// <summary>Reads <c>scheduler_config.json</c> from a scheduler folder, a pipeline folder (its
    /// <c>scheduler/</c> subfolder) or the file itself.</summary>
    public static DdimSchedulerConfig Load(string path)
    {
        var file = File.Exists(path) ? path
            : File.Exists(Path.Combine(path, "scheduler_config.json")) ? Path.Combine(path, "scheduler_config.json")
            : File.Exists(Path.Combine(path, "scheduler", "scheduler_config.json")) ? Path.Combine(path, "scheduler", "scheduler_config.json")
            : throw new FileNotFoundException(
                $"no scheduler_config.json in {path} (looked in the folder itself and in {Path.Combine(path, "scheduler")})", path);
        return ConfigJson.Read<DdimSchedulerConfig>(file);
    }

    /// <summary>Fails on values diffusers would reject or that would index outside the schedule.</summary>
    public void Validate(ConfigLocation at)
    {
        foreach (var key in IgnoredKeys?.Keys ?? Enumerable.Empty<string>())
            if (!key.StartsWith('_') && !ForeignKeys.Contains(key)) throw at[key].Error("unknown key (neither DDIMScheduler nor another diffusers scheduler has it)");
        at["num_train_timesteps"].InRange(NumTrainTimesteps, 1);
        if (TrainedBetas is { } tb && tb.Count != NumTrainTimesteps)
            throw at["trained_betas"].Error($"has {tb.Count} values but num_train_timesteps is {NumTrainTimesteps}");
        at["steps_offset"].InRange(StepsOffset, 0);
        // The betas are built from these (JSON may say Infinity): a schedule of non-finite betas is no schedule.
        if (!double.IsFinite(BetaStart)) throw at["beta_start"].Error($"must be a finite number, got {BetaStart}");
        if (!double.IsFinite(BetaEnd)) throw at["beta_end"].Error($"must be a finite number, got {BetaEnd}");
        if (Thresholding && DynamicThresholdingRatio is not (> 0 and <= 1))
            throw at["dynamic_thresholding_ratio"].Error($"must be in (0, 1], got {DynamicThresholdingRatio}");
        if (Thresholding && !(SampleMaxValue > 0)) throw at["sample_max_value"].Error($"must be > 0, got {SampleMaxValue}");
        if (!Thresholding && ClipSample && !(ClipSampleRange > 0)) throw at["clip_sample_range"].Error($"must be > 0, got {ClipSampleRange}");
        at["beta_schedule"].OneOf(BetaSchedule, "linear", "scaled_linear", "squaredcos_cap_v2");
        at["prediction_type"].OneOf(PredictionType, "epsilon", "v_prediction", "sample");
        at["timestep_spacing"].OneOf(TimestepSpacing, "leading", "trailing", "linspace");
    }
}
