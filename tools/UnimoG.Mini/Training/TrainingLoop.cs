using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Data.Random;
using UnimoG.Modeling.Training;
using static TorchSharp.torch;

namespace UnimoG.Mini.Training;

/// <summary>How long a run trains and how often it saves and reports.</summary>
public sealed record LoopOptions
{
    public long Steps { get; init; } = 1000;
    /// <summary>A checkpoint is written when this many minutes passed since the last one (and at the end).</summary>
    public double CheckpointMinutes { get; init; } = 5;
    public int LogEvery { get; init; } = 50;
}

/// <summary>Randomness of one training step, derived from (seed, stream, step) alone: a resumed run draws the same numbers.</summary>
public static class StepRandom
{
    /// <summary>A SplitMix64 generator for data choices (indices, augmentation parameters).</summary>
    public static SplitMix64 Data(long seed, string stream, long step) => new(Hash(seed, stream, step));

    /// <summary>A torch generator for tensor noise (VAE posterior samples, augmentation noise).</summary>
    public static Generator Torch(long seed, string stream, long step) => new(Hash(seed, stream + "/torch", step));

    private static ulong Hash(long seed, string stream, long step)
    {
        var h = 1469598103934665603UL; // FNV-1a over the stream name, then mixed with seed and step
        foreach (var ch in stream) h = unchecked((h ^ ch) * 1099511628211UL);
        return new SplitMix64(new SplitMix64(h ^ unchecked((ulong)seed)).NextUInt64() ^ unchecked((ulong)step * 0x9E3779B97F4A7C15UL)).NextUInt64();
    }
}

/// <summary>
/// The shared loop of the mini trainers: resumes from <c>{out}/checkpoint</c>, runs <paramref name="step"/> (which
/// computes, back-propagates and applies one update, returning its metrics) for the remaining steps inside a dispose
/// scope, checkpoints every few minutes and when cancelled, and logs running means.
/// </summary>
public static class TrainingLoop
{
    public static TrainingState Run(string outDir, nn.Module model, OptimizerHelper optimizer, string options, LoopOptions loop,
        Func<long, IReadOnlyDictionary<string, double>> step, Action<string> log, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(outDir);
        var state = Checkpoint.TryLoad(outDir, model, optimizer, options, log) ?? new TrainingState { Options = options };
        if (state.Step > 0) log($"resumed at step {state.Step} ({state.Seconds:0} s trained so far)");
        model.train();
        var sums = new Dictionary<string, double>();
        var count = 0;
        var sinceSave = Stopwatch.StartNew();
        var sinceLog = Stopwatch.StartNew();
        var seconds = state.Seconds;
        var cpu = state.CpuSeconds;
        var process = Process.GetCurrentProcess();
        var s = state.Step;
        try
        {
            for (; s < loop.Steps; s++)
            {
                if (cancel.IsCancellationRequested) break;
                var t0 = Stopwatch.GetTimestamp();
                process.Refresh();
                var c0 = process.TotalProcessorTime;
                IReadOnlyDictionary<string, double> metrics;
                using (var scope = torch.NewDisposeScope()) metrics = step(s);
                seconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
                process.Refresh();
                cpu += (process.TotalProcessorTime - c0).TotalSeconds;
                foreach (var (k, v) in metrics) sums[k] = sums.GetValueOrDefault(k) + v;
                count++;
                if ((s + 1) % loop.LogEvery == 0 || s + 1 == loop.Steps)
                {
                    var means = sums.ToDictionary(kv => kv.Key, kv => kv.Value / count);
                    means["step"] = s + 1;
                    means["seconds"] = seconds;
                    means["cpu_seconds"] = cpu;
                    state.Log.Add(means);
                    log($"step {s + 1}/{loop.Steps} " + string.Join(" ", sums.Select(kv => $"{kv.Key} {kv.Value / count:0.#####}"))
                        + string.Create(CultureInfo.InvariantCulture, $" ({sinceLog.Elapsed.TotalSeconds / count:0.000} s/step, {seconds / 60:0.0} min, cpu {cpu / 60:0.0} min)"));
                    sums.Clear();
                    count = 0;
                    sinceLog.Restart();
                }
                if (sinceSave.Elapsed.TotalMinutes >= loop.CheckpointMinutes && s + 1 < loop.Steps)
                {
                    Checkpoint.Save(outDir, model, optimizer, state = state with { Step = s + 1, Seconds = seconds, CpuSeconds = cpu });
                    sinceSave.Restart();
                }
            }
        }
        finally
        {
            state = state with { Step = s, Seconds = seconds, CpuSeconds = cpu };
            Checkpoint.Save(outDir, model, optimizer, state);
        }
        model.eval();
        return state;
    }

    /// <summary>
    /// The mini trainers' schedule: linear warm-up over a tenth of the run (at most <paramref name="maxWarmup"/> steps),
    /// then a cosine to a tenth of the peak.
    /// </summary>
    public static LearningRateSchedule Schedule(long steps, long maxWarmup) =>
        new(LearningRateSchedule.Cosine, Math.Min(maxWarmup, steps / 10 + 1), steps, MinLrRatio: 0.1);

    /// <summary>Sets every parameter group's learning rate.</summary>
    public static void SetLearningRate(OptimizerHelper optimizer, double lr)
    {
        foreach (var g in optimizer.ParamGroups) g.LearningRate = lr;
    }

    /// <summary>Clips the global gradient norm; returns the norm before clipping.</summary>
    public static double ClipGradients(IEnumerable<TorchSharp.Modules.Parameter> parameters, double maxNorm) =>
        nn.utils.clip_grad_norm_(parameters.Where(p => p.grad is not null), maxNorm);
}
