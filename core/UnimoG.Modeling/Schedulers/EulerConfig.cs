using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Schedulers;

/// <summary>diffusers' <c>EulerDiscreteScheduler</c> configuration (v0.31.0 keys and defaults).</summary>
public sealed record EulerConfig : DiffusersSchedulerConfig, IValidatedConfig
{
    /// <summary><c>linear</c> (np.interp of the training sigmas at the timesteps) or <c>log_linear</c>.</summary>
    [JsonPropertyName("interpolation_type")] public string InterpolationType { get; init; } = "linear";
    [JsonPropertyName("use_karras_sigmas")] public bool UseKarrasSigmas { get; init; }
    [JsonPropertyName("use_exponential_sigmas")] public bool UseExponentialSigmas { get; init; }
    [JsonPropertyName("use_beta_sigmas")] public bool UseBetaSigmas { get; init; }
    /// <summary>The Karras schedule's ends; null = the schedule's own.</summary>
    [JsonPropertyName("sigma_min")] public double? SigmaMin { get; init; }
    [JsonPropertyName("sigma_max")] public double? SigmaMax { get; init; }
    [JsonPropertyName("timestep_type")] public string TimestepType { get; init; } = "discrete";
    /// <summary><c>zero</c>, or <c>sigma_min</c>: the last step lands on the training schedule's smallest sigma.</summary>
    [JsonPropertyName("final_sigmas_type")] public string FinalSigmasType { get; init; } = "zero";

    public override string ClassName => "EulerDiscreteScheduler";

    public void Validate(ConfigLocation at)
    {
        ValidateCommon(at);
        at["interpolation_type"].OneOf(InterpolationType, "linear", "log_linear");
        at["final_sigmas_type"].OneOf(FinalSigmasType, "zero", "sigma_min");
        at["timestep_type"].OneOf(TimestepType, "discrete");
        Unsupported(at, "use_exponential_sigmas", UseExponentialSigmas, "use use_karras_sigmas or the default sigmas");
        Unsupported(at, "use_beta_sigmas", UseBetaSigmas, "use use_karras_sigmas or the default sigmas");
        if (SigmaMin is { } lo && !(lo > 0 && double.IsFinite(lo))) throw at["sigma_min"].Error($"must be a finite number > 0, got {lo}");
        if (SigmaMax is { } hi && !(hi > (SigmaMin ?? 0) && double.IsFinite(hi))) throw at["sigma_max"].Error($"must be finite and above sigma_min, got {hi}");
    }
}
