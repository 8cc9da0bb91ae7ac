using UnimoG.Engines.Trainer.Config;
using UnimoG.Modeling.Training;

namespace UnimoG.Engines.Trainer.Training;

/// <summary>
/// The learning rate of optimizer step <c>s</c> (0-based, counted over the whole run) of a run of phases: the phase's
/// <c>learning_rate</c> (or the optimizer's) times the one <see cref="LearningRateSchedule"/>, whose warm-up runs once
/// at the start of the run and whose decay runs over each phase (w = the warm-up steps that fall inside the phase).
/// </summary>
public sealed class LearningRate(TrainingConfig config)
{
    public double At(long step)
    {
        var (phase, phaseStart) = PhaseOf(step, config.Phases);
        var p = config.Phases[phase];
        var warmup = config.Schedule.WarmupSteps;
        var decay = new LearningRateSchedule(config.Schedule.Kind, Math.Clamp(warmup - phaseStart, 0, p.Steps), p.Steps, config.Schedule.MinLrRatio);
        return (p.LearningRate ?? config.Optimizer.LearningRate) * LearningRateSchedule.Warmup(step, warmup) * decay.Decay(step - phaseStart);
    }

    /// <summary>The phase that optimizer step <paramref name="step"/> belongs to and that phase's first step.</summary>
    public static (int Phase, long Start) PhaseOf(long step, IReadOnlyList<PhaseSettings> phases)
    {
        long start = 0;
        for (var i = 0; i < phases.Count; i++)
        {
            if (step < start + phases[i].Steps || i == phases.Count - 1) return (i, start);
            start += phases[i].Steps;
        }
        throw new InvalidOperationException("no phases");
    }
}
