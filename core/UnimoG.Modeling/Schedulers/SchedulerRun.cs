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

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
