using static TorchSharp.torch;

namespace UnimoG.Modeling.Schedulers;

public sealed partial class DdimScheduler : INoiseScheduler
{
    public string Name => Config.ClassName;

    /// <summary>A request's DDIM run: the schedule of <see cref="TimestepsFor"/>, eta's noise (eta > 0) from <paramref name="noise"/>.</summary>
    public SchedulerRun Start(SamplingSettings settings, NoiseSource? noise = null)
    {
        if (settings.Steps < 1) throw new ArgumentOutOfRangeException(nameof(settings), $"steps must be >= 1, got {settings.Steps}");
        if (settings.Eta > 0 && noise is null)
            throw new ArgumentException("eta > 0 draws variance noise: pass the request's noise source (we never draw from the global RNG)");
        var timesteps = TimestepsFor(settings.Steps);
        // Leading spacing adds steps_offset: with many steps the first timestep passes the schedule (diffusers indexes past it).
        if (timesteps.Length > 0 && timesteps.Max() >= Config.NumTrainTimesteps)
            throw new ArgumentOutOfRangeException(null, $"{settings.Steps} DDIM steps reach timestep {timesteps.Max()} with steps_offset {Config.StepsOffset}, " +
                $"past the model's {Config.NumTrainTimesteps} training timesteps; use fewer steps");
        return new DdimRun(this, timesteps, settings, noise);
    }

    private sealed class DdimRun(DdimScheduler scheduler, long[] timesteps, SamplingSettings settings, NoiseSource? noise) : SchedulerRun
    {
        public override IReadOnlyList<double> Timesteps { get; } = timesteps.Select(t => (double)t).ToArray();
        public override double InitNoiseSigma => scheduler.InitNoiseSigma;

        public override Tensor ScaleModelInput(Tensor sample) => scheduler.ScaleModelInput(sample, timesteps[StepIndex]);

        protected override (double Signal, double Noise) NoiseScales(int stepIndex)
        {
            var alpha = scheduler.AlphasCumprod[(int)timesteps[stepIndex]];
            return (MathF.Sqrt(alpha), MathF.Sqrt(1f - alpha));
        }

        protected override SchedulerOutput StepCore(Tensor modelOutput, Tensor sample)
        {
            using var variance = settings.Eta > 0 ? noise!(sample.shape) : null;
            using var cast = variance?.to(modelOutput.dtype, modelOutput.device);
            var segment = new DdimSegment((int)sample.shape[0], timesteps[StepIndex], settings.Steps, settings.Eta, null, cast);
            var step = scheduler.Step(modelOutput, sample, [segment]);
            return new SchedulerOutput(step.PrevSample, step.PredOriginalSample);
        }
    }
}
