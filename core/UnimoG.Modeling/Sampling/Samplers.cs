using TorchSharp;
using UnimoG.Modeling.Schedulers;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Sampling;

/// <summary>
/// What the per-step callback sees: step <see cref="Index"/> of <see cref="Count"/> at <see cref="Timestep"/>,
/// the latent after the step (x_{t-1}) and the predicted x_0 (preview material). The tensors live only
/// for the duration of the callback: clone what you keep (and detach it from any dispose scope you run in).
/// </summary>
public sealed record SamplingStep(int Index, int Count, double Timestep, Tensor Latents, Tensor PredictedOriginal);

/// <summary>Called after every step; return false to cancel sampling (it then throws <see cref="OperationCanceledException"/>).</summary>
public delegate bool StepCallback(SamplingStep step);

/// <summary>Sampling settings; the paper's defaults: 50 DDIM steps, guidance 5.0, eta 0.</summary>
public sealed record DdimSamplingOptions(int Steps = 50, double GuidanceScale = 5.0, double Eta = 0.0)
{
    public SamplingSettings Settings => new(Steps, Eta);
}

/// <summary>Plain sampling functions over a <see cref="DiffusionModel"/> (k-diffusion style).</summary>
public static class Samplers
{
    /// <summary>
    /// Seeded initial latents: standard normal [B, C, h, w] float32 from <paramref name="generator"/> (drawn in one
    /// call on the generator's device, the CPU, as diffusers' randn_tensor does, so a seed gives the same latents on
    /// any device), times the run's init_noise_sigma, on <paramref name="device"/> (default the CPU).
    /// </summary>
    public static Tensor InitialNoise(SchedulerRun run, long[] shape, Generator generator, Device? device = null)
    {
        using var noise = randn(shape, dtype: ScalarType.Float32, generator: generator);
        using var sigma = run.InitNoiseSigma.ToScalar();
        var scaled = noise.mul(sigma);
        if (device is null || device.type == DeviceType.CPU) return scaled;
        using (scaled)
            return scaled.to(device);
    }

    /// <summary>A request's noise for stochastic steps, from its own generator (never the global one).</summary>
    public static NoiseSource From(Generator generator) => shape => randn(shape, dtype: ScalarType.Float32, generator: generator);

    /// <summary>
    /// <see cref="Sample(DiffusionModel, SchedulerRun, Tensor, Conditioning, Conditioning?, double, StepCallback?, CancellationToken)"/>
    /// over a new run of <paramref name="scheduler"/> with <paramref name="options"/>; stochastic steps (eta > 0) draw from
    /// <paramref name="generator"/>.
    /// </summary>
    public static Tensor Sample(DiffusionModel model, INoiseScheduler scheduler, Tensor latents, Conditioning cond, Conditioning? uncond,
        DdimSamplingOptions options, Generator? generator = null, StepCallback? callback = null, CancellationToken cancellationToken = default)
    {
        using var run = scheduler.Start(options.Settings, generator is null ? null : From(generator));
        return Sample(model, run, latents, cond, uncond, options.GuidanceScale, callback, cancellationToken);
    }

    /// <summary>
    /// Guided sampling from <paramref name="latents"/> (x_T, not consumed) to x_0 over the run's steps, as diffusers'
    /// Stable Diffusion pipeline loops, each step through <see cref="GuidedStep"/>: classifier-free guidance when an
    /// unconditional (or negative) condition is given and the scale is above 1 (one row of it is shared by the batch).
    /// Cancellation is checked before every step; the callback runs after each, outside the step's dispose scope.
    /// Runs under no_grad on the calling thread; each step's temporaries go with the step, so memory stays flat.
    /// </summary>
    public static Tensor Sample(DiffusionModel model, SchedulerRun run, Tensor latents, Conditioning cond, Conditioning? uncond,
        double guidanceScale, StepCallback? callback = null, CancellationToken cancellationToken = default)
    {
        var batch = latents.shape[0];
        if (cond.BatchSize != batch) throw new ArgumentException($"the condition has {cond.BatchSize} rows for a batch of {batch}");
        if (uncond is not null && uncond.BatchSize != batch && uncond.BatchSize != 1)
            throw new ArgumentException($"the unconditional/negative condition has {uncond.BatchSize} rows for a batch of {batch} (give 1 or {batch})");
        using var noGrad = no_grad();
        using var expanded = uncond is not null && uncond.BatchSize != batch && guidanceScale > 1 ? uncond.RepeatRows((int)batch) : null;
        var x = latents;
        try
        {
            while (!run.Finished)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (index, t) = (run.StepIndex, run.Timestep);
                var step = GuidedStep.Run(model, [new GuidedRows(run, x, cond, expanded ?? uncond, guidanceScale)])[0];
                // Outside the step's scope, so tensors the callback keeps are not disposed under it.
                var keepGoing = true;
                try
                {
                    keepGoing = callback?.Invoke(new SamplingStep(index, run.Count, t, step.PrevSample, step.PredOriginalSample)) ?? true;
                }
                finally
                {
                    step.PredOriginalSample.Dispose();
                    if (!ReferenceEquals(x, latents)) x.Dispose();
                    x = step.PrevSample;
                }
                if (!keepGoing) throw new OperationCanceledException("sampling cancelled by the step callback");
            }
        }
        catch
        {
            if (!ReferenceEquals(x, latents)) x.Dispose();
            throw;
        }
        return ReferenceEquals(x, latents) ? x.clone() : x;
    }
}
