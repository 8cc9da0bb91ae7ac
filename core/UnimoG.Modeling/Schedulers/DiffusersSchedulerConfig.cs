using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// The keys every diffusers noise scheduler of ours shares (<c>scheduler_config.json</c>), with diffusers v0.31.0's
/// defaults: the training noise schedule, the prediction type, the timestep spacing and dynamic thresholding. Each
/// scheduler's record adds its own keys. Keys of diffusers' other schedulers are kept aside and ignored, as
/// <c>from_config</c> ignores them (a DDIM config turned into a DPM-Solver one keeps <c>clip_sample</c>); any other key
/// is refused, so a misspelt key fails naming it.
/// </summary>
public abstract record DiffusersSchedulerConfig
{
    [JsonPropertyName("num_train_timesteps")] public int NumTrainTimesteps { get; init; } = 1000;
    [JsonPropertyName("beta_start")] public double BetaStart { get; init; } = 0.0001;
    [JsonPropertyName("beta_end")] public double BetaEnd { get; init; } = 0.02;
    /// <summary><c>linear</c>, <c>scaled_linear</c> or <c>squaredcos_cap_v2</c>; ignored when <see cref="TrainedBetas"/> is set.</summary>
    [JsonPropertyName("beta_schedule")] public string BetaSchedule { get; init; } = "linear";
    [JsonPropertyName("trained_betas")] public IReadOnlyList<double>? TrainedBetas { get; init; }
    [JsonPropertyName("rescale_betas_zero_snr")] public bool RescaleBetasZeroSnr { get; init; }
    /// <summary><c>epsilon</c>, <c>v_prediction</c> or <c>sample</c>.</summary>
    [JsonPropertyName("prediction_type")] public string PredictionType { get; init; } = "epsilon";
    /// <summary><c>leading</c>, <c>trailing</c> or <c>linspace</c> (Table 2 of arXiv:2305.08891).</summary>
    [JsonPropertyName("timestep_spacing")] public string TimestepSpacing { get; init; } = "linspace";
    [JsonPropertyName("steps_offset")] public int StepsOffset { get; init; }
    [JsonPropertyName("thresholding")] public bool Thresholding { get; init; }
    [JsonPropertyName("dynamic_thresholding_ratio")] public double DynamicThresholdingRatio { get; init; } = 0.995;
    [JsonPropertyName("sample_max_value")] public double SampleMaxValue { get; init; } = 1.0;

    /// <summary>Keys this record does not declare: diffusers' metadata (<c>_class_name</c>, ...) and <see cref="KnownKeys"/>.</summary>
    [JsonExtensionData] public IgnoredKeys? IgnoredKeys { get; init; }

    /// <summary>The keys of diffusers' schedulers (v0.31.0): one a record does not declare is ignored, any other refused.</summary>
    public static readonly IReadOnlySet<string> KnownKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "algorithm_type", "clip_sample", "clip_sample_range", "disable_corrector", "dynamic_thresholding_ratio", "euler_at_final",
        "final_sigmas_type", "interpolation_type", "lambda_min_clipped", "lower_order_final", "predict_x0", "rho",
        "sample_max_value", "set_alpha_to_one", "sigma_data", "sigma_max", "sigma_min", "sigma_schedule", "skip_prk_steps",
        "solver_order", "solver_p", "solver_type", "thresholding", "timestep_type", "use_beta_sigmas",
        "use_exponential_sigmas", "use_karras_sigmas", "use_lu_lambdas", "variance_type",
    };

    /// <summary>The diffusers class whose config this is (what <c>_class_name</c> says).</summary>
    [JsonIgnore] public abstract string ClassName { get; }

    /// <summary>The path of <c>scheduler_config.json</c> given a scheduler folder, a pipeline folder (its <c>scheduler/</c>) or the file.</summary>
    public static string FindFile(string path) =>
        File.Exists(path) ? path
        : File.Exists(Path.Combine(path, "scheduler_config.json")) ? Path.Combine(path, "scheduler_config.json")
        : File.Exists(Path.Combine(path, "scheduler", "scheduler_config.json")) ? Path.Combine(path, "scheduler", "scheduler_config.json")
        : throw new FileNotFoundException(
            $"no scheduler_config.json in {path} (looked in the folder itself and in {Path.Combine(path, "scheduler")})", path);

    /// <summary>The shared keys' checks: values diffusers would reject, or that would index outside the schedule.</summary>
    protected void ValidateCommon(ConfigLocation at, params string[] predictionTypes)
    {
        foreach (var key in IgnoredKeys?.Keys ?? Enumerable.Empty<string>())
            if (!key.StartsWith('_') && !KnownKeys.Contains(key))
                throw at[key].Error($"unknown key (neither {ClassName} nor another diffusers scheduler has it)");
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
        at["beta_schedule"].OneOf(BetaSchedule, "linear", "scaled_linear", "squaredcos_cap_v2");
        at["prediction_type"].OneOf(PredictionType, predictionTypes.Length > 0 ? predictionTypes : ["epsilon", "v_prediction", "sample"]);
        at["timestep_spacing"].OneOf(TimestepSpacing, "leading", "trailing", "linspace");
    }

    /// <summary>A key that must keep its default here: <c>name: true is not supported by ...</c>.</summary>
    protected void Unsupported(ConfigLocation at, string key, bool set, string why) { if (set) throw at[key].Error($"is not supported by our {ClassName}: {why}"); }
}
