using static TorchSharp.torch;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// diffusers v0.31.0's <c>EulerDiscreteScheduler</c> (Karras et al. 2022, Algorithm 2 without churn): the probability
/// flow ODE dx/dsigma = (x - x_0) / sigma stepped with Euler's method over the sigmas of <see cref="EulerSigmas"/>.
/// </summary>
public sealed class EulerScheduler(EulerConfig config) : INoiseScheduler
{
    private readonly NoiseLevels _levels = new(config);
    public EulerConfig Config { get; } = config;
    public string Name => Config.ClassName;

    public SchedulerRun Start(SamplingSettings settings, NoiseSource? noise = null)
    {
        SigmaRun.CheckSettings(settings, Name);
        var (timesteps, sigmas) = EulerSigmas(settings.Steps);
        return new Run(Config, timesteps, sigmas);
    }

    /// <summary>set_timesteps(n): float32 timesteps and n + 1 float32 sigmas (interpolated, or Karras' with their timesteps).</summary>
    public (double[] Timesteps, float[] Sigmas) EulerSigmas(int n)
    {
        var t = SigmaTimesteps.Euler(Config, n).Select(v => (double)v).ToArray();
        double[] sigmas = Config.InterpolationType == "log_linear"
            // torch.linspace(log(sigma_min), log(sigma_max), n + 1).exp(), in float32, as diffusers does
            ? BetaSchedules.TorchLinspace(Math.Log(_levels.Sigmas[^1]), Math.Log(_levels.Sigmas[0]), n + 1).Select(v => (double)MathF.Exp(v)).ToArray()
            : t.Select(_levels.Interp).ToArray();
        if (Config.UseKarrasSigmas)
        {
            sigmas = NoiseLevels.Karras(n, Config.SigmaMin ?? sigmas[^1], Config.SigmaMax ?? sigmas[0]);
            t = sigmas.Select(s => (double)(float)_levels.SigmaToT(s)).ToArray();
        }
        var last = Config.FinalSigmasType == "sigma_min" ? _levels.Sigmas[0] : 0f;
        return (t, [.. sigmas.Select(s => (float)s), last]);
    }

    private sealed class Run(EulerConfig config, double[] timesteps, float[] sigmas) : EulerRun(config, timesteps, sigmas, null)
    {
        protected override SchedulerOutput StepCore(Tensor modelOutput, Tensor sample)
        {
            using var scope = NewDisposeScope();
            double sigma = Sigma(StepIndex), next = Sigma(StepIndex + 1);
            var x = sample.to_type(ScalarType.Float32);
            var x0 = SigmaMath.EulerOriginal(config.PredictionType, modelOutput, x, sigma);
            // d = (x - x_0) / sigma; x_{i+1} = x + d (sigma_{i+1} - sigma)
            var derivative = (x - x0) / sigma;
            var prev = (x + derivative * (next - sigma)).to_type(modelOutput.dtype);
            return new SchedulerOutput(prev.MoveToOuterDisposeScope(), x0.MoveToOuterDisposeScope());
        }
    }
}

/// <summary>
/// What both Euler schedulers' runs share: the sample is x_0 + sigma eps (unscaled), so the model's input is divided by
/// sqrt(sigma^2 + 1), and the initial noise is the largest sigma (sqrt(sigma_max^2 + 1) with "leading" spacing).
/// </summary>
internal abstract class EulerRun(DiffusersSchedulerConfig config, double[] timesteps, float[] sigmas, NoiseSource? noise)
    : SigmaRun(timesteps, sigmas, noise)
{
    public override double InitNoiseSigma { get; } = InitSigma(config, sigmas);

    /// <summary>x / sqrt(sigma^2 + 1): the U-Net was trained on unit-variance inputs.</summary>
    public override Tensor ScaleModelInput(Tensor sample) => sample / Math.Sqrt(Sigma(StepIndex) * Sigma(StepIndex) + 1);

    protected override (double Signal, double Noise) NoiseScales(int stepIndex) => (1, Sigma(stepIndex));

    // float32, as diffusers' init_noise_sigma property computes it
    private static double InitSigma(DiffusersSchedulerConfig c, float[] sigmas)
    {
        var max = sigmas.Max();
        return c.TimestepSpacing is "linspace" or "trailing" ? max : MathF.Sqrt(max * max + 1f);
    }
}
