namespace UnimoG.Data.Sampling;

/// <summary>
/// A sampler a request may name: a diffusers scheduler class built from the model's own scheduler config with these
/// keys replaced, as diffusers users write <c>DPMSolverMultistepScheduler.from_config(pipe.scheduler.config,
/// use_karras_sigmas=True)</c>. The defining keys are always set, so a name means the same on every model.
/// </summary>
public sealed record SamplerPreset(string Name, string Title, string DiffusersClass, string OverridesJson, bool Stochastic = false, bool Karras = false);

/// <summary>
/// The samplers the suite serves, by the names requests, <c>Describe</c> and <c>--sampler</c> use (A1111/ComfyUI style:
/// <c>dpmpp_2m_karras</c>), and the default. Torch-free, so the gateway validates names without the models.
/// </summary>
public static class SamplerPresets
{
    private const string Dpm = "DPMSolverMultistepScheduler", Unipc = "UniPCMultistepScheduler", Euler = "EulerDiscreteScheduler";

    public static readonly IReadOnlyList<SamplerPreset> All =
    [
        new("ddim", "DDIM (the paper's sampler; the only one that takes eta)", "DDIMScheduler", "{}"),
        new("euler", "Euler (Karras et al. 2022, Algorithm 2 without churn)", Euler, """{"use_karras_sigmas": false}"""),
        new("euler_karras", "Euler with Karras sigmas", Euler, """{"use_karras_sigmas": true}""", Karras: true),
        new("euler_a", "Euler ancestral (stochastic)", "EulerAncestralDiscreteScheduler", "{}", Stochastic: true),
        new("dpmpp_2m", "DPM-Solver++ 2M", Dpm, DpmKeys("dpmsolver++", false)),
        new("dpmpp_2m_karras", "DPM-Solver++ 2M with Karras sigmas", Dpm, DpmKeys("dpmsolver++", true), Karras: true),
        new("dpmpp_2m_sde", "DPM-Solver++ 2M SDE (stochastic)", Dpm, DpmKeys("sde-dpmsolver++", false), Stochastic: true),
        new("dpmpp_2m_sde_karras", "DPM-Solver++ 2M SDE with Karras sigmas (stochastic)", Dpm, DpmKeys("sde-dpmsolver++", true), Stochastic: true, Karras: true),
        new("unipc", "UniPC (bh2, order 2)", Unipc, UnipcKeys(false)),
        new("unipc_karras", "UniPC (bh2, order 2) with Karras sigmas", Unipc, UnipcKeys(true), Karras: true),
    ];

    /// <summary>The sampler a request gets when it names none (docs/sampling.md says how it was chosen).</summary>
    public const string Default = "dpmpp_2m_karras";

    public static IEnumerable<string> Names => All.Select(p => p.Name);

    public static SamplerPreset? Find(string name) => All.FirstOrDefault(p => p.Name == name);

    private static string DpmKeys(string algorithm, bool karras) =>
        $$"""{"algorithm_type": "{{algorithm}}", "solver_order": 2, "solver_type": "midpoint", "use_karras_sigmas": {{(karras ? "true" : "false")}}, "final_sigmas_type": "zero", "lower_order_final": true, "euler_at_final": false}""";

    private static string UnipcKeys(bool karras) =>
        $$"""{"solver_type": "bh2", "solver_order": 2, "predict_x0": true, "use_karras_sigmas": {{(karras ? "true" : "false")}}, "final_sigmas_type": "zero", "lower_order_final": true}""";
}
