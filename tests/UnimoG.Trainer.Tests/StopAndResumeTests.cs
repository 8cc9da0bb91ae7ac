using System.Text.Json.Nodes;
using UnimoG.Data.Checkpoints;
using UnimoG.TestSupport;
using UnimoG.Engines.Trainer.Training;

namespace UnimoG.Trainer.Tests;

/// <summary>Ending a run early (max steps, a stop) and continuing it: checkpoints, step numbers, the same weights.</summary>
[Collection("torch threads")]
public class StopAndResumeTests
{
    private static readonly TinyWorld World = TinyWorld.Instance;

    // A cosine schedule with warm-up: had max steps shortened the schedule, the continued run's rates, and so its
    // weights, would differ from the straight run's.
    private static readonly JsonObject Schedule = new() { ["lr_schedule"] = new JsonObject { ["kind"] = "cosine", ["warmup_steps"] = 2 } };

    private static byte[] Weights(string dir, string component = "unet") =>
        File.ReadAllBytes(Path.Combine(dir, component, UnimoG.Engines.Trainer.Training.Trainer.WeightsFile));

    [Fact]
    public void Max_steps_ends_with_a_checkpoint_and_weights_and_the_next_run_continues_unchanged()
    {
        var straightDir = TinyWorld.TempDir("straight6");
        var (straight, _) = TinyWorld.Trainer(World.Config(straightDir, steps: 6, extra: Schedule));
        using (straight) straight.Run(resume: false);

        var dir = TinyWorld.TempDir("max3");
        var (first, _) = TinyWorld.Trainer(World.Config(dir, steps: 6, extra: Schedule));
        TrainingResult early;
        using (first) early = first.Run(resume: false, maxSteps: 3);
        Assert.Equal((RunState.Stopped, 3L), (early.State, early.Step));
        Assert.EndsWith("step-00000003", early.Checkpoint);
        Assert.Equal(Path.Combine(dir, "unet"), early.ExportedUNet);
        // The exported weights are the EMA of that step's checkpoint.
        Assert.Equal(Weights(early.Checkpoint!, "unet_ema"), Weights(dir));

        var (second, log) = TinyWorld.Trainer(World.Config(dir, steps: 6, extra: Schedule));
        var steps = new List<long>();
        TrainingResult rest;
        using (second)
        using (second.Progress.Subscribe(new Observer(p => { if (p.State == RunState.Running) steps.Add(p.Step); })))
            rest = second.Run();
        Assert.Contains(log.Lines, l => l.Text.Contains("Resumed from") && l.Text.Contains("at step 3"));
        Assert.Equal([4L, 5L, 6L], steps);
        Assert.Equal((RunState.Completed, 6L), (rest.State, rest.Step));
        Assert.Equal(Weights(Path.Combine(straightDir, "checkpoints", "step-00000006")), Weights(rest.Checkpoint!));
        Assert.Equal(Weights(straightDir), Weights(dir));
    }

    [Fact]
    public void A_stop_writes_a_checkpoint_that_the_next_run_continues_from()
    {
        var dir = TinyWorld.TempDir("stop");
        var (first, _) = TinyWorld.Trainer(World.Config(dir, steps: 1000));
        TrainingResult stopped;
        using (var cts = new CancellationTokenSource())
        using (first)
        using (first.Progress.Subscribe(new Observer(p => { if (p is { State: RunState.Running, Step: 2 }) cts.Cancel(); })))
            stopped = first.Run(cts.Token, resume: false);
        Assert.Equal((RunState.Stopped, 2L), (stopped.State, stopped.Step));
        Assert.Equal([2L], ValidSteps(dir));
        Assert.Null(stopped.ExportedUNet);

        // Stopped again before a step: the checkpoint of that step is reused, not written twice.
        var (idle, _) = TinyWorld.Trainer(World.Config(dir, steps: 1000));
        using (var cancelled = new CancellationTokenSource())
        using (idle)
        {
            cancelled.Cancel();
            var again = idle.Run(cancelled.Token);
            Assert.Equal((2L, stopped.Checkpoint), (again.Step, again.Checkpoint));
        }

        var (second, _) = TinyWorld.Trainer(World.Config(dir, steps: 1000));
        var steps = new List<long>();
        using (second)
        using (second.Progress.Subscribe(new Observer(p => { if (p.State == RunState.Running) steps.Add(p.Step); })))
            Assert.Equal(4L, second.Run(maxSteps: 4).Step);
        Assert.Equal([3L, 4L], steps);
        Assert.Equal([4L, 2L], ValidSteps(dir));
    }

    private static List<long> ValidSteps(string dir) => [.. CheckpointStore.ForRun(dir).List().Where(c => c.Valid).Select(c => c.Step)];

    private sealed class Observer(Action<TrainingProgress> next) : IObserver<TrainingProgress>
    {
        public void OnCompleted() { }
        public void OnError(Exception error) { }
        public void OnNext(TrainingProgress value) => next(value);
    }
}
