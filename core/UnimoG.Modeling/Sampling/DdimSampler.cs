using TorchSharp;
using UnimoG.Modeling.Schedulers;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Sampling;

/// <summary>
/// What the per-step callback sees: step <see cref="Index"/> of <see cref="Count"/> at <see cref="Timestep"/>,
/// the latent after the step (x_{t-1}) and the predicted x_0 (preview material). The tensors live only
/// for the duration of the callback: clone what you keep (and detach it from any dispose scope you run in).
/// </summary>
public sealed record SamplingStep(int Index, int Count, long Timestep, Tensor Latents, Tensor PredictedOriginal);

/// <summary>Called after every step; return false to cancel sampling (it then throws <see cref="OperationCanceledException"/>).</summary>
public delegate bool StepCallback(SamplingStep step);

/// <summary>DDIM sampling settings; the paper's defaults: 50 steps, guidance 5.0, eta 0.</summary>
public sealed record DdimSamplingOptions(int Steps = 50, double GuidanceScale = 5.0, double Eta = 0.0);

/// <summary>Plain sampling functions over a <see cref="Denoiser"/> (k-diffusion style).</summary>
public static class Samplers
{
    /// <summary>
    /// Seeded initial latents: standard normal [B, C, h, w] from <paramref name="generator"/> (drawn in one
    /// call, as diffusers' randn_tensor with one generator), times the scheduler's init_noise_sigma.
    /// </summary>
    public static Tensor InitialNoise(DdimScheduler scheduler, long[] shape, Generator generator)
    {
        using var scope = NewDisposeScope();
        return (randn(shape, dtype: ScalarType.Float32, generator: generator) * scheduler.InitNoiseSigma).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Guided DDIM from <paramref name="latents"/> (x_T, not consumed) to x_0 over <paramref name="options"/>.Steps
    /// steps, as diffusers' Stable Diffusion pipeline loops: classifier-free guidance when an unconditional
    /// (or negative) condition is given and the scale is above 1, the step's variance noise (eta > 0) drawn
    /// from <paramref name="generator"/>. Cancellation is checked before every step; the callback runs after
    /// each, outside the step's dispose scope. Runs under no_grad on the calling thread; each step's temporaries are
    /// disposed with the step, so memory stays flat.
    /// </summary>
    public static Tensor SampleDdim(Denoiser model, DdimScheduler scheduler, Tensor latents, Conditioning cond, Conditioning? uncond,
        DdimSamplingOptions options, Generator? generator = null, StepCallback? callback = null, CancellationToken cancellationToken = default)
    {
        if (options.Eta > 0 && generator is null)
            throw new ArgumentException("eta > 0 draws variance noise: pass the request's generator");
        var timesteps = scheduler.TimestepsFor(options.Steps);
        var guided = uncond is not null && options.GuidanceScale > 1;
        var batch = latents.shape[0];

        using var noGrad = no_grad();
        var x = latents;
        try
        {
            for (var i = 0; i < timesteps.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var t = timesteps[i];
                DdimStepOutput step;
                using (NewDisposeScope())
                {
                    var input = scheduler.ScaleModelInput(x, t);
                    var ts = full(batch, t, dtype: ScalarType.Int64, device: x.device);                  // [B]
                    var output = guided ? Guidance.Predict(model, input, ts, cond, uncond!, options.GuidanceScale) : model(input, ts, cond);
                    step = scheduler.Step(output, x, [new DdimSegment((int)batch, t, options.Steps, options.Eta, options.Eta > 0 ? generator : null)]);
                    step.PrevSample.MoveToOuterDisposeScope();
                    step.PredOriginalSample.MoveToOuterDisposeScope();
                }
                // Outside the step's scope, so tensors the callback keeps are not disposed under it.
                var keepGoing = true;
                try
                {
                    keepGoing = callback?.Invoke(new SamplingStep(i, timesteps.Length, t, step.PrevSample, step.PredOriginalSample)) ?? true;
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
