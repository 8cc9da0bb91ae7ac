using static TorchSharp.torch;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// Standard normal noise of <paramref name="shape"/>, float32 on the CPU: a request's own generator (so a seed gives
/// the same numbers on any device), or tensors given in order (tests against recorded noise). Callers move it.
/// </summary>
public delegate Tensor NoiseSource(long[] shape);

/// <summary>What one request asks of its scheduler: the number of inference steps and, for DDIM only, eta.</summary>
public sealed record SamplingSettings(int Steps, double Eta = 0);

/// <summary>
/// A noise scheduler in diffusers' sense, shared by every request: it holds the training noise schedule and makes one
/// <see cref="SchedulerRun"/> per request (diffusers' <c>set_timesteps</c>), which carries that request's timesteps and
/// solver history. Sharing the scheduler and keeping state per run is what lets requests at different steps of
/// different samplers share one U-Net batch.
/// </summary>
public interface INoiseScheduler
{
    /// <summary>The diffusers class it reproduces (<c>DDIMScheduler</c>, ...), for messages.</summary>
    string Name { get; }

    /// <summary>A run over <see cref="SamplingSettings.Steps"/> steps; stochastic steps draw from <paramref name="noise"/>.</summary>
    SchedulerRun Start(SamplingSettings settings, NoiseSource? noise = null);
}

/// <summary>x_{t-1} after one step, and the step's prediction of x_0 (preview material). Owns both.</summary>
public sealed record SchedulerOutput(Tensor PrevSample, Tensor PredOriginalSample) : IDisposable
{
    public void Dispose()
    {
        PrevSample.Dispose();
        PredOriginalSample.Dispose();
    }
}
