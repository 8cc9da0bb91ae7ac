using System.Text.Json;
using TorchSharp;
using UnimoG.Mini.Data;
using UnimoG.Mini.Training;
using UnimoG.Mini.Vae;
using UnimoG.Modeling.Images;
using static TorchSharp.torch;
using UnimoG.Imaging;
using UnimoG.Data.Config;

namespace UnimoG.Mini.Tests;

/// <summary>The mini trainers' learning-rate schedule: warm-up over a tenth of the run, then decay to a tenth.</summary>
public class TrainingLoopTests
{
    [Fact]
    public void The_mini_schedule_warms_up_over_a_tenth_of_the_run_then_decays_to_a_tenth()
    {
        // transformers' semantics (checked in UnimoG.Modeling.Tests): step s of w warm-up steps runs at s / w.
        var s = TrainingLoop.Schedule(steps: 110, maxWarmup: 200);
        Assert.Equal((12L, 110L, 0.1), (s.WarmupSteps, s.TotalSteps, s.MinLrRatio));
        Assert.Equal(0.0, s.Factor(0));
        Assert.Equal(11.0 / 12, s.Factor(11), 12);
        Assert.Equal(1.0, s.Factor(12), 12);
        Assert.Equal(0.1, s.Factor(110), 12);
        Assert.Equal(100, TrainingLoop.Schedule(steps: 5000, maxWarmup: 100).WarmupSteps);
    }
}
