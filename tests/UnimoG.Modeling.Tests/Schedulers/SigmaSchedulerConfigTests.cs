using UnimoG.Data.Config;
using UnimoG.Modeling.Schedulers;
using static UnimoG.Modeling.Tests.Schedulers.SchedulerTestConfigs;

namespace UnimoG.Modeling.Tests.Schedulers;

/// <summary>
/// The configs of DPM-Solver++, Euler, Euler ancestral and UniPC: a value we do not implement fails in one line naming
/// its key, keys of diffusers' other schedulers are ignored (as from_config ignores them), and lambda_min_clipped
/// clips the timesteps as diffusers v0.31.0's searchsorted does.
/// </summary>
public class SigmaSchedulerConfigTests
{
    private static readonly Dictionary<string, Func<string, object>> Parsers = new()
    {
        ["dpm"] = Parse<DpmSolverConfig>,
        ["euler"] = Parse<EulerConfig>,
        ["euler_a"] = Parse<EulerAncestralConfig>,
        ["unipc"] = Parse<UniPcConfig>,
    };

    [Theory]
    // the noise-prediction algorithms (diffusers deprecates them, and refuses them with final_sigmas_type "zero")
    [InlineData("dpm", """{"algorithm_type": "dpmsolver"}""", "algorithm_type")]
    [InlineData("dpm", """{"algorithm_type": "sde-dpmsolver"}""", "algorithm_type")]
    [InlineData("dpm", """{"algorithm_type": "dpmsolver+++"}""", "algorithm_type")]
    [InlineData("dpm", """{"solver_order": 4}""", "solver_order")]
    [InlineData("dpm", """{"solver_order": 0}""", "solver_order")]
    [InlineData("dpm", """{"algorithm_type": "sde-dpmsolver++", "solver_order": 3}""", "solver_order")]
    [InlineData("dpm", """{"use_lu_lambdas": true}""", "use_lu_lambdas")]
    [InlineData("dpm", """{"use_beta_sigmas": true}""", "use_beta_sigmas")]
    [InlineData("dpm", """{"variance_type": "learned"}""", "variance_type")]
    [InlineData("dpm", """{"variance_type": "learned_range"}""", "variance_type")]
    [InlineData("dpm", """{"lambda_min_clipped": NaN}""", "lambda_min_clipped")]
    [InlineData("dpm", """{"lambda_min_clipped": "low"}""", "lambda_min_clipped")]
    [InlineData("dpm", """{"lambda_min_clipped": true}""", "lambda_min_clipped")]
    [InlineData("dpm", """{"final_sigmas_type": "denoise_to_zero"}""", "final_sigmas_type")]
    [InlineData("dpm", """{"solver_orderr": 2}""", "solver_orderr")]
    [InlineData("euler", """{"timestep_type": "continuous"}""", "timestep_type")]
    [InlineData("euler", """{"use_exponential_sigmas": true}""", "use_exponential_sigmas")]
    [InlineData("euler", """{"interpolation_type": "cubic"}""", "interpolation_type")]
    [InlineData("euler", """{"use_karras_sigmas": true, "sigma_min": 0}""", "sigma_min")]
    [InlineData("euler", """{"sigma_min": 0.5, "sigma_max": 0.25}""", "sigma_max")]
    [InlineData("euler", """{"use_karras_sigmass": true}""", "use_karras_sigmass")]
    [InlineData("euler_a", """{"prediction_type": "sample"}""", "prediction_type")]
    [InlineData("euler_a", """{"timestep_spacing": "karras"}""", "timestep_spacing")]
    // diffusers v0.31.0 rewrites midpoint/heun/logrho to bh2 (register_to_config), so no file it saves says midpoint:
    // ours refuses the value rather than silently run another solver
    [InlineData("unipc", """{"solver_type": "midpoint"}""", "solver_type")]
    [InlineData("unipc", """{"solver_p": {"_class_name": "DPMSolverMultistepScheduler"}}""", "solver_p")]
    [InlineData("unipc", """{"solver_order": 4}""", "solver_order")]
    [InlineData("unipc", """{"use_beta_sigmas": true}""", "use_beta_sigmas")]
    public void Unsupported_values_fail_in_one_line_naming_the_key(string scheduler, string json, string key)
    {
        var e = Assert.Throws<ConfigException>(() => Parsers[scheduler](json));
        Assert.Equal(key, e.Key);
        Assert.StartsWith($"scheduler_config.json: {key}: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Keys_of_other_schedulers_are_accepted_and_ignored()
    {
        // A DDIM config turned into a DPM-Solver one keeps clip_sample and set_alpha_to_one; a DPM one into UniPC keeps
        // algorithm_type and the -Infinity Python writes; an Euler one takes solver_order: none changes the result.
        const string ddimKeys = "\"_class_name\": \"DDIMScheduler\", \"_diffusers_version\": \"0.31.0\", \"clip_sample\": false, \"set_alpha_to_one\": false, \"skip_prk_steps\": true";
        var dpm = Parse<DpmSolverConfig>(Sd(ddimKeys));
        Assert.Equal(Parse<DpmSolverConfig>(Sd()), dpm with { IgnoredKeys = null });
        Assert.Equal(["_class_name", "_diffusers_version", "clip_sample", "set_alpha_to_one", "skip_prk_steps"], dpm.IgnoredKeys!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((2, "dpmsolver++", "midpoint"), (dpm.SolverOrder, dpm.AlgorithmType, dpm.SolverType));   // v0.31.0 defaults

        var unipc = Parse<UniPcConfig>(Sd("\"algorithm_type\": \"sde-dpmsolver++\", \"lambda_min_clipped\": -Infinity, \"euler_at_final\": true"));
        Assert.Equal(Parse<UniPcConfig>(Sd()), unipc with { IgnoredKeys = null });
        var euler = Parse<EulerConfig>(Sd("\"solver_order\": 3, \"predict_x0\": false, \"clip_sample_range\": 2.0"));
        Assert.Equal(Parse<EulerConfig>(Sd()), euler with { IgnoredKeys = null });
        var ancestral = Parse<EulerAncestralConfig>(Sd("\"use_karras_sigmas\": true, \"interpolation_type\": \"log_linear\""));
        Assert.Equal(Parse<EulerAncestralConfig>(Sd()), ancestral with { IgnoredKeys = null });
    }

    [Fact]
    public void Lambda_min_clipped_reads_python_infinity_and_numbers()
    {
        Assert.Equal(double.NegativeInfinity, Parse<DpmSolverConfig>(Sd("\"lambda_min_clipped\": -Infinity")).LambdaMinClipped);
        Assert.Equal(double.NegativeInfinity, Parse<DpmSolverConfig>(Sd()).LambdaMinClipped);           // absent: the default
        Assert.Equal(double.NegativeInfinity, Parse<DpmSolverConfig>(Sd("\"lambda_min_clipped\": null")).LambdaMinClipped);
        Assert.Equal(-5.1, Parse<DpmSolverConfig>(Sd("\"lambda_min_clipped\": -5.1")).LambdaMinClipped);
    }

    /// <summary>
    /// How many training timesteps have lambda_t = log(sqrt(a_t)) - log(sqrt(1 - a_t)) below <paramref name="clip"/>,
    /// in float64 from the closed-form betas (sqrt-linspace squared, cumprod): searchsorted's left index over the
    /// flipped (rising) lambdas. The lambdas nearest the clips used here are 0.002 away, far beyond float32's error.
    /// </summary>
    private static int ClippedCount(double clip)
    {
        double a = 1, lo = Math.Sqrt(0.00085), hi = Math.Sqrt(0.012);
        var count = 0;
        for (var t = 0; t < 1000; t++)
        {
            var beta = Math.Pow(lo + (hi - lo) * t / 999, 2);
            a *= 1 - beta;
            if (Math.Log(Math.Sqrt(a)) - Math.Log(Math.Sqrt(1 - a)) < clip) count++;
        }
        return count;
    }

    [Fact]
    public void Lambda_min_clipped_drops_the_noisiest_timesteps_as_searchsorted_does()
    {
        // lambda_999 = -2.682 on this schedule: -2.0 clips t >= 877 (123 timesteps), so last_timestep = 877; -5.1
        // (diffusers' value for cosine schedules) clips none.
        Assert.Equal(123, ClippedCount(-2.0));
        Assert.Equal(0, ClippedCount(-5.1));
        double[] Steps(string spacing, string clip, int n) =>
            [.. new DpmSolverScheduler(Parse<DpmSolverConfig>(Sd($"\"timestep_spacing\": \"{spacing}\", \"steps_offset\": 1, \"lambda_min_clipped\": {clip}"))).Schedule(n).Timesteps];

        // np.linspace(0, 876, 11).round()[::-1][:-1]: 87.6 k, half to even
        Assert.Equal([876, 788, 701, 613, 526, 438, 350, 263, 175, 88], Steps("linspace", "-2.0", 10));
        // (np.arange(11) * (877 // 11)).round()[::-1][:-1] + 1
        Assert.Equal([791, 712, 633, 554, 475, 396, 317, 238, 159, 80], Steps("leading", "-2.0", 10));
        // np.arange(877, 0, -1000 / 10).round() - 1: only 9 timesteps (diffusers then sets num_inference_steps = 9)
        Assert.Equal([876, 776, 676, 576, 476, 376, 276, 176, 76], Steps("trailing", "-2.0", 10));
        var trailing = new DpmSolverScheduler(Parse<DpmSolverConfig>(Sd("\"timestep_spacing\": \"trailing\", \"lambda_min_clipped\": -2.0"))).Start(new SamplingSettings(10));
        Assert.Equal((9, 10), (trailing.Count, trailing.Sigmas!.Count));
        Assert.Equal(Steps("linspace", "-Infinity", 10), Steps("linspace", "-5.1", 10));
        Assert.Equal(999, Steps("linspace", "-Infinity", 10)[0]);
    }
}
