using UnimoG.Modeling.Training;

namespace UnimoG.Modeling.Tests.Training;

public class LearningRateScheduleTests
{
    [Fact]
    public void Constant_with_warmup_is_transformers_lambda()
    {
        // get_constant_schedule_with_warmup: s / max(1, w) while s < w, then 1.
        var s = new LearningRateSchedule(LearningRateSchedule.Constant, WarmupSteps: 4, TotalSteps: 100);
        Assert.Equal([0.0, 0.25, 0.5, 0.75, 1.0, 1.0], Enumerable.Range(0, 6).Select(i => s.Factor(i)));
        Assert.Equal(1.0, new LearningRateSchedule(LearningRateSchedule.Constant, 0, 10).Factor(0));
    }

    [Fact]
    public void Cosine_with_min_lr_is_transformers_lambda()
    {
        // get_cosine_with_min_lr_schedule_with_warmup (num_cycles 0.5, min_lr_rate 0.1), w = 10, total = 110:
        // p = (s - 10) / 100; factor = 0.1 + 0.9 * 0.5 * (1 + cos(pi p)).
        var s = new LearningRateSchedule(LearningRateSchedule.Cosine, WarmupSteps: 10, TotalSteps: 110, MinLrRatio: 0.1);
        Assert.Equal(0.0, s.Factor(0));
        Assert.Equal(0.9, s.Factor(9), 15);
        Assert.Equal(1.0, s.Factor(10), 15);
        Assert.Equal(0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * 0.25)), s.Factor(35), 15);
        Assert.Equal(0.55, s.Factor(60), 15);             // half-way: cos(pi / 2) = 0
        Assert.Equal(0.1, s.Factor(110), 15);
        Assert.Equal(0.1, s.Factor(500), 15);             // clamped past the end (no trainer steps there)
        Assert.Equal(1.0, s.Decay(3));                    // the decay waits for the warm-up
        // min_lr_rate 0 is plain get_cosine_schedule_with_warmup: 0.5 * (1 + cos(pi p)).
        Assert.Equal(0.5, new LearningRateSchedule(LearningRateSchedule.Cosine, 0, 100).Factor(50), 15);
    }

    [Fact]
    public void An_unknown_kind_fails_naming_the_known_ones() =>
        Assert.Contains("constant, cosine", Assert.Throws<InvalidOperationException>(() => new LearningRateSchedule("linear", 0, 10).Factor(5)).Message);
}
