using System.Text.Json;
using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Schedulers;

/// <summary>diffusers' <c>UniPCMultistepScheduler</c> configuration (v0.31.0 keys and defaults).</summary>
public sealed record UniPcConfig : DiffusersSchedulerConfig, IValidatedConfig
{
    /// <summary>The predictor's order, 1-3 (2 for guided sampling, 3 unguided, as the paper advises).</summary>
    [JsonPropertyName("solver_order")] public int SolverOrder { get; init; } = 2;
    /// <summary>Solve in the data prediction (UniPC's x_0 form) rather than the noise prediction.</summary>
    [JsonPropertyName("predict_x0")] public bool PredictX0 { get; init; } = true;
    /// <summary>B(h) of the paper: <c>bh1</c> = h (few steps, unguided) or <c>bh2</c> = e^h - 1 (guided).</summary>
    [JsonPropertyName("solver_type")] public string SolverType { get; init; } = "bh2";
    [JsonPropertyName("lower_order_final")] public bool LowerOrderFinal { get; init; } = true;
    /// <summary>Steps (0-based) whose corrector is skipped.</summary>
    [JsonPropertyName("disable_corrector")] public IReadOnlyList<int> DisableCorrector { get; init; } = [];
    /// <summary>Another scheduler as the predictor: not supported (null only).</summary>
    [JsonPropertyName("solver_p")] public JsonElement? SolverP { get; init; }
    [JsonPropertyName("use_karras_sigmas")] public bool UseKarrasSigmas { get; init; }
    [JsonPropertyName("use_exponential_sigmas")] public bool UseExponentialSigmas { get; init; }
    [JsonPropertyName("use_beta_sigmas")] public bool UseBetaSigmas { get; init; }
    [JsonPropertyName("final_sigmas_type")] public string FinalSigmasType { get; init; } = "zero";

    public override string ClassName => "UniPCMultistepScheduler";

    public void Validate(ConfigLocation at)
    {
        ValidateCommon(at);
        at["solver_order"].InRange(SolverOrder, 1, 3);
        at["solver_type"].OneOf(SolverType, "bh1", "bh2");
        at["final_sigmas_type"].OneOf(FinalSigmasType, "zero", "sigma_min");
        if (SolverP is { ValueKind: not JsonValueKind.Null }) throw at["solver_p"].Error("another scheduler as UniPC's predictor is not supported (null only)");
        Unsupported(at, "use_exponential_sigmas", UseExponentialSigmas, "use use_karras_sigmas or the default sigmas");
        Unsupported(at, "use_beta_sigmas", UseBetaSigmas, "use use_karras_sigmas or the default sigmas");
    }
}
