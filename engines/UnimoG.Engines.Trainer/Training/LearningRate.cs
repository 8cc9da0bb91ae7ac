using UnimoG.Engines.Trainer.Config;

namespace UnimoG.Engines.Trainer.Training;

/// <summary>
/// The learning rate of optimizer step <c>s</c> (0-based, counted over the whole run), as diffusers'
/// <c>get_scheduler</c> (a LambdaLR whose factor is evaluated at the number of steps already taken):
/// <code>
/// lr(s)      = lr_phase * warmup(s) * decay(s)
/// warmup(s)  = s / warmup_steps                     while s &lt; warmup_steps, else 1
/// decay(s)   = 1                                    (constant)
///            = r + (1 - r) * 0.5 * (1 + cos(pi * p)) (cosine; r = min_lr_ratio)
/// p          = (s_phase - w) / (steps_phase - w)     clamped to [0, 1]; w = warm-up steps inside this phase
/// </code>
/// <c>lr_phase</c> is the phase's <c>learning_rate</c>, or the optimizer's. Warm-up happens once, at the start of the run.
/// </summary>
public sealed class LearningRate(TrainingConfig config)
{
    public double At(long step)
    {
        var (phase, phaseStart) = PhaseOf(step, config.Phases);
        var p = config.Phases[phase];
        var baseLr = p.LearningRate ?? config.Optimizer.LearningRate;
        var warmup = config.Schedule.WarmupSteps;
        var factor = step < warmup ? (double)step / warmup : 1.0;
        if (config.Schedule.Kind == "cosine")
        {
            var w = Math.Clamp(warmup - phaseStart, 0, p.Steps);
            var span = Math.Max(1, p.Steps - w);
            var progress = Math.Clamp((double)(step - phaseStart - w) / span, 0, 1);
            var r = config.Schedule.MinLrRatio;
            factor *= r + (1 - r) * 0.5 * (1 + Math.Cos(Math.PI * progress));
        }
        return baseLr * factor;
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
