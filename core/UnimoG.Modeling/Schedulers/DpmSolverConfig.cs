using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Schedulers;

/// <summary>diffusers' <c>DPMSolverMultistepScheduler</c> configuration (v0.31.0 keys and defaults).</summary>
public sealed record DpmSolverConfig : DiffusersSchedulerConfig, IValidatedConfig
{
    /// <summary>1, 2 or 3: how many past model outputs the multistep update uses.</summary>
    [JsonPropertyName("solver_order")] public int SolverOrder { get; init; } = 2;
    /// <summary><c>dpmsolver++</c> (Lu et al. 2022b, the data-prediction ODE solver) or <c>sde-dpmsolver++</c> (its SDE variant).</summary>
    [JsonPropertyName("algorithm_type")] public string AlgorithmType { get; init; } = "dpmsolver++";
    /// <summary>The second-order update: <c>midpoint</c> or <c>heun</c>.</summary>
    [JsonPropertyName("solver_type")] public string SolverType { get; init; } = "midpoint";
    /// <summary>Lower orders for the last steps (below 15 steps), which stabilises few-step sampling.</summary>
    [JsonPropertyName("lower_order_final")] public bool LowerOrderFinal { get; init; } = true;
    /// <summary>A first-order (Euler) last step.</summary>
    [JsonPropertyName("euler_at_final")] public bool EulerAtFinal { get; init; }
    [JsonPropertyName("use_karras_sigmas")] public bool UseKarrasSigmas { get; init; }
    [JsonPropertyName("use_exponential_sigmas")] public bool UseExponentialSigmas { get; init; }
    [JsonPropertyName("use_beta_sigmas")] public bool UseBetaSigmas { get; init; }
    [JsonPropertyName("use_lu_lambdas")] public bool UseLuLambdas { get; init; }
    /// <summary><c>zero</c> (the last step lands on sigma 0) or <c>sigma_min</c>.</summary>
    [JsonPropertyName("final_sigmas_type")] public string FinalSigmasType { get; init; } = "zero";
    /// <summary>
    /// Timesteps whose lambda is below this are never used (diffusers writes <c>-Infinity</c>, the default: none is
    /// clipped). A number, or the word Python's json writes for a non-finite one.
    /// </summary>
    [JsonPropertyName("lambda_min_clipped")] public JsonElement? LambdaMinClippedValue { get; init; }
    [JsonPropertyName("variance_type")] public string? VarianceType { get; init; }

    public override string ClassName => "DPMSolverMultistepScheduler";

    /// <summary><see cref="LambdaMinClippedValue"/> as a number: -infinity when absent or null.</summary>
    [JsonIgnore] public double LambdaMinClipped => LambdaMinClippedValue is not { } v || v.ValueKind == JsonValueKind.Null ? double.NegativeInfinity
        : v.ValueKind == JsonValueKind.Number ? v.GetDouble()
        : double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN;

    [JsonIgnore] public bool Stochastic => AlgorithmType == "sde-dpmsolver++";

    public void Validate(ConfigLocation at)
    {
        ValidateCommon(at);
        at["solver_order"].InRange(SolverOrder, 1, 3);
        at["algorithm_type"].OneOf(AlgorithmType, "dpmsolver++", "sde-dpmsolver++");
        at["solver_type"].OneOf(SolverType, "midpoint", "heun");
        at["final_sigmas_type"].OneOf(FinalSigmasType, "zero", "sigma_min");
        if (Stochastic && SolverOrder == 3) throw at["solver_order"].Error("3 is not available with sde-dpmsolver++ (diffusers has no third-order SDE update); use 1 or 2");
        Unsupported(at, "use_exponential_sigmas", UseExponentialSigmas, "use use_karras_sigmas or the default sigmas");
        Unsupported(at, "use_beta_sigmas", UseBetaSigmas, "use use_karras_sigmas or the default sigmas");
        Unsupported(at, "use_lu_lambdas", UseLuLambdas, "use use_karras_sigmas or the default sigmas");
        if (UseKarrasSigmas && (UseExponentialSigmas || UseBetaSigmas)) throw at["use_karras_sigmas"].Error("only one of use_karras_sigmas, use_exponential_sigmas, use_beta_sigmas can be set");
        if (VarianceType is not null) throw at["variance_type"].Error($"\"{VarianceType}\" is not supported: our U-Nets predict no variance (null only)");
        if (LambdaMinClippedValue is { ValueKind: not (JsonValueKind.Number or JsonValueKind.String or JsonValueKind.Null) } || double.IsNaN(LambdaMinClipped))
            throw at["lambda_min_clipped"].Error($"must be a number or -Infinity, got {LambdaMinClippedValue}");
    }
}
