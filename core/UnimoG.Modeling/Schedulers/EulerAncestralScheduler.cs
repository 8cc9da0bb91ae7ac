using static TorchSharp.torch;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// diffusers v0.31.0's <c>EulerAncestralDiscreteScheduler</c>: each step goes down to sigma_down with Euler's method,
/// then adds fresh noise of standard deviation sigma_up, with sigma_down^2 + sigma_up^2 = sigma_{i+1}^2 (ancestral
/// sampling, k-diffusion's sample_euler_ancestral with eta 1). The noise comes from the request's own source.
/// </summary>
public sealed class EulerAncestralScheduler(EulerAncestralConfig config) : INoiseScheduler
{
    private readonly NoiseLevels _levels = new(config);
    public EulerAncestralConfig Config { get; } = config;
    public string Name => Config.ClassName;

    public SchedulerRun Start(SamplingSettings settings, NoiseSource? noise = null)
    {
        SigmaRun.CheckSettings(settings, Name);
        if (noise is null) throw new ArgumentException("euler_a is stochastic: pass the request's noise source (we never draw from the global RNG)", nameof(noise));
        var t = SigmaTimesteps.Euler(Config, settings.Steps).Select(v => (double)v).ToArray();
        float[] sigmas = [.. t.Select(v => (float)_levels.Interp(v)), 0f];
        return new Run(Config, t, sigmas, noise);
    }

    private sealed class Run(EulerAncestralConfig config, double[] timesteps, float[] sigmas, NoiseSource noise) : EulerRun(config, timesteps, sigmas, noise)
    {
        protected override SchedulerOutput StepCore(Tensor modelOutput, Tensor sample)
        {
            using var scope = NewDisposeScope();
            double from = Sigma(StepIndex), to = Sigma(StepIndex + 1);
            var up = Math.Sqrt(to * to * (from * from - to * to) / (from * from));
            var down = Math.Sqrt(to * to - up * up);
            var x = sample.to_type(ScalarType.Float32);
            var x0 = SigmaMath.EulerOriginal(config.PredictionType, modelOutput, x, from);
            var derivative = (x - x0) / from;
            // drawn at every step, the last one too (sigma_up = 0 there), as diffusers does: the same noise stream
            var z = DrawNoise(modelOutput);
            var prev = (x + derivative * (down - from) + z * up).to_type(modelOutput.dtype);
            return new SchedulerOutput(prev.MoveToOuterDisposeScope(), x0.MoveToOuterDisposeScope());
        }
    }
}
