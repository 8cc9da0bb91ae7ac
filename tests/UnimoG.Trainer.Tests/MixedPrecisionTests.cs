using System.Text.Json.Nodes;
using UnimoG.Engines.Trainer.Training;
using UnimoG.Modeling.Checkpoints;
using UnimoG.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace UnimoG.Trainer.Tests;

/// <summary>
/// precision "bf16": a bfloat16 forward and backward over float32 master weights. What is float32 stays float32 (the
/// weights the optimizer steps, the EMA, the checkpoints), and the bf16 run trains as the float32 one does.
/// </summary>
[Collection("torch threads")]
public class MixedPrecisionTests(ITestOutputHelper output)
{
    private static readonly TinyWorld World = TinyWorld.Instance;

    private sealed class Observer(Action<TrainingProgress> next) : IObserver<TrainingProgress>
    {
        public void OnCompleted() { }
        public void OnError(Exception error) { }
        public void OnNext(TrainingProgress value) => next(value);
    }

    private static (List<double> Losses, string Dir) Overfit(string precision, int steps, int stage = 1)
    {
        var dir = TinyWorld.TempDir($"precision-{precision}");
        var (trainer, _) = TinyWorld.Trainer(World.Config(dir, stage: stage, steps: steps, extra: new JsonObject
        {
            ["precision"] = precision,
            ["overfit_one_batch"] = true,
            ["condition_dropout"] = 0.0,
            ["optimizer"] = new JsonObject { ["learning_rate"] = 3e-3, ["weight_decay"] = 0.0 },
            ["checkpoints"] = new JsonObject { ["every"] = steps, ["keep_last"] = 1 },
        }));
        var losses = new List<double>();
        using (trainer)
        using (trainer.Progress.Subscribe(new Observer(p => { if (p.State == RunState.Running) losses.Add(p.Loss); })))
        {
            trainer.Run(resume: false);
            Assert.All(trainer.Parameters, p => Assert.Equal(ScalarType.Float32, p.dtype));   // the master weights
            Assert.All(trainer.Ema!.Model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        }
        return (losses, dir);
    }

    [Fact]
    public void BF16_starts_at_the_FP32_loss_and_overfits_as_FP32_does_with_float32_checkpoints()
    {
        var (fp32, _) = Overfit("fp32", 40);
        var (bf16, dir) = Overfit("bf16", 40);
        // Step 1 sees the same weights, batch, noise and timesteps: the loss (an MSE, twice the output's relative error)
        // differs by at most 2 * u * depth with u = 2^-8 and the tiny U-Net's 30 weight layers on its longest path.
        var bound = 2 * Math.Pow(2, -8) * 30;
        var first = Math.Abs(bf16[0] - fp32[0]) / fp32[0];
        output.WriteLine($"first loss fp32 {fp32[0]:G5}, bf16 {bf16[0]:G5} (relative {first:E2}, bound {bound:E2}); last 5: fp32 {fp32.TakeLast(5).Average():G4}, bf16 {bf16.TakeLast(5).Average():G4}");
        Assert.True(first <= bound, $"the first bf16 loss differs from fp32's by {first:E3}");
        Assert.True(bf16.TakeLast(5).Average() * 5 <= bf16[0], "the bf16 run did not overfit one batch fivefold");
        Assert.True(bf16.TakeLast(5).Average() <= 2 * fp32.TakeLast(5).Average() + 1e-3, "the bf16 run ends far above the fp32 run");

        var checkpoint = Directory.GetDirectories(Path.Combine(dir, "checkpoints")).Single();
        var weights = SafetensorsFile.Open(Path.Combine(checkpoint, "unet", UnimoG.Engines.Trainer.Training.Trainer.WeightsFile));
        Assert.All(weights.Entries.Values, e => Assert.Equal("F32", e.DType));
    }

    [Fact]
    public void BF16_stage_two_trains_with_the_attention_loss()
    {
        var (losses, _) = Overfit("bf16", 6, stage: 2);
        Assert.Equal(6, losses.Count);
        Assert.All(losses, l => Assert.True(double.IsFinite(l), "a bf16 stage-2 loss is not finite"));
    }
}
