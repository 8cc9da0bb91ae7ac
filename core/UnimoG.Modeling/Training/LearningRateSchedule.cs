namespace UnimoG.Modeling.Training;

/// <summary>
/// The learning-rate factor of optimizer step <c>s</c> (0-based: the number of steps already taken), as transformers'
/// <c>get_constant_schedule_with_warmup</c> and <c>get_cosine_with_min_lr_schedule_with_warmup</c> (what diffusers'
/// <c>get_scheduler</c> returns; a LambdaLR, so the first step runs at factor 0 when there is a warm-up):
/// <code>
/// factor(s) = warmup(s) * decay(s)
/// warmup(s) = s / max(1, w)                                 while s &lt; w, else 1
/// decay(s)  = 1                                             (constant)
///           = r + (1 - r) * 0.5 * (1 + cos(pi * p))         (cosine, num_cycles 0.5; r = min_lr_rate)
/// p         = (s - w) / max(1, total - w)                   clamped to [0, 1]
/// </code>
/// The clamp only matters past <c>total</c>, where transformers' cosine would rise again; no trainer steps there.
/// </summary>
public sealed record LearningRateSchedule(string Kind, long WarmupSteps, long TotalSteps, double MinLrRatio = 0)
{
    public const string Constant = "constant";
    public const string Cosine = "cosine";

    public double Factor(long step) => Warmup(step, WarmupSteps) * Decay(step);

    /// <summary>The decay alone (1 during warm-up).</summary>
    public double Decay(long step)
    {
        if (Kind == Constant) return 1;
        if (Kind != Cosine) throw new InvalidOperationException($"unknown learning-rate schedule '{Kind}' (known: {Constant}, {Cosine})");
        var progress = Math.Clamp((double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps), 0, 1);
        return MinLrRatio + (1 - MinLrRatio) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>The linear warm-up alone: s / w before step w, then 1.</summary>
    public static double Warmup(long step, long warmupSteps) => step < warmupSteps ? (double)step / Math.Max(1, warmupSteps) : 1;
}
