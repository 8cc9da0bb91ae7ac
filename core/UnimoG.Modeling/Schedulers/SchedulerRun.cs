using static TorchSharp.torch;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// One request's walk through its schedule: the timesteps <c>set_timesteps</c> chose, the step it is at, and whatever
/// history a multistep solver keeps. diffusers' <c>scale_model_input(sample, t)</c> and <c>step(output, t, sample)</c>
/// without the timestep argument: a run knows where it is.
/// </summary>
public abstract class SchedulerRun : IDisposable
{
    /// <summary>The model timesteps, one per step, largest first (fractional for some samplers).</summary>
    public abstract IReadOnlyList<double> Timesteps { get; }

    /// <summary>Standard deviation of the initial noise: the first latent is N(0, 1) noise times this.</summary>
    public abstract double InitNoiseSigma { get; }

    /// <summary>The noise levels sigma_i, one per step plus the final one (diffusers' <c>scheduler.sigmas</c>); null for DDIM, which has none.</summary>
    public virtual IReadOnlyList<double>? Sigmas => null;

    /// <summary>Steps taken so far.</summary>
    public int StepIndex { get; private set; }

    public int Count => Timesteps.Count;
    public bool Finished => StepIndex >= Count;

    /// <summary>The timestep of the next step.</summary>
    public double Timestep => Finished ? throw new InvalidOperationException("the run has taken all its steps") : Timesteps[StepIndex];

    /// <summary>The model's input for the next step (sigma-based samplers divide by sqrt(sigma^2 + 1)). Returns a new tensor or the sample itself.</summary>
    public abstract Tensor ScaleModelInput(Tensor sample);

    /// <summary>One step from <paramref name="sample"/> with the model's <paramref name="modelOutput"/>; then the run is one step further.</summary>
    public SchedulerOutput Step(Tensor modelOutput, Tensor sample)
    {
        if (Finished) throw new InvalidOperationException($"the run has taken all its {Count} steps");
        if (!modelOutput.shape.SequenceEqual(sample.shape))
            throw new ArgumentException($"model_output shape [{string.Join(", ", modelOutput.shape)}] differs from sample shape [{string.Join(", ", sample.shape)}]");
        var output = StepCore(modelOutput, sample);
        StepIndex++;
        return output;
    }

    protected abstract SchedulerOutput StepCore(Tensor modelOutput, Tensor sample);

    /// <summary>
    /// The forward process at step <paramref name="stepIndex"/> of this schedule (diffusers' <c>add_noise(x0, noise,
    /// timesteps[stepIndex])</c>): signal * x_0 + noise_scale * noise, the sample the run expects at that step (image to
    /// image starts there). A new tensor.
    /// </summary>
    public Tensor AddNoise(Tensor original, Tensor noise, int stepIndex)
    {
        if (stepIndex < 0 || stepIndex >= Count) throw new ArgumentOutOfRangeException(nameof(stepIndex), $"step {stepIndex} is outside the run's {Count} steps");
        if (!original.shape.SequenceEqual(noise.shape))
            throw new ArgumentException($"noise shape [{string.Join(", ", noise.shape)}] differs from the sample's [{string.Join(", ", original.shape)}]");
        var (signal, noiseScale) = NoiseScales(stepIndex);
        using var scaledNoise = noise.mul(noiseScale);
        return original.mul(signal).add_(scaledNoise);
    }

    /// <summary>The coefficients of x_0 and of the noise in the sample at step <paramref name="stepIndex"/>.</summary>
    protected abstract (double Signal, double Noise) NoiseScales(int stepIndex);

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
