using System.Diagnostics;
using System.Text.Json.Nodes;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Training;

namespace UnimoG.Cli.Recipe;

/// <summary>
/// Runs U-Net trainings of the recipe in this process: each configuration is written to <c>{work}/configs/{run}.json</c>
/// (repeatable with <c>unimog train --config</c>), resumes from its newest intact checkpoint, appends every step's
/// metrics to <c>{run}/metrics.jsonl</c> (for the training curves) and its wall time to <c>{run}/run.json</c>. Several
/// configurations run one after another, or concurrently on threads of their own (each with its configuration's
/// torch thread count: stage 2 and its ablation take one thread each on two cores).
/// </summary>
internal static class UNetRuns
{
    public static StageOutcome Train(StageContext c, IReadOnlyList<JsonObject> configs, MiniRecipeOptions o, bool parallel = false)
    {
        if (parallel && configs.Count > 1)
            foreach (var config in configs) config["threads"] = Math.Max(1, o.Threads / configs.Count);
        var prepared = configs.Select(config =>
        {
            var run = Path.GetFileName((string)config["output_dir"]!)!;
            var path = Path.Combine(o.Work, "configs", run + ".json");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, MiniRecipe.Json(config));
            return (Run: run, Config: TrainingConfig.Load(path));
        }).ToList();
        var resumed = prepared.Any(p => Directory.Exists(Path.Combine(p.Config.OutputDir, "checkpoints"))
                                        && Directory.EnumerateDirectories(Path.Combine(p.Config.OutputDir, "checkpoints"), "step-*").Any());
        if (parallel)
        {
            var failures = new List<Exception>();
            var threads = prepared.Select(p => new Thread(() =>
            {
                try { TrainOne(c, p.Run, p.Config); }
                catch (Exception e) { lock (failures) failures.Add(e); }
            }) { Name = p.Run, IsBackground = false }).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            if (failures.Count > 0) throw new AggregateException(failures);
        }
        else
        {
            foreach (var p in prepared) TrainOne(c, p.Run, p.Config);
        }
        c.Cancel.ThrowIfCancellationRequested();
        return resumed ? StageOutcome.Resumed : StageOutcome.Ran;
    }

    private static void TrainOne(StageContext c, string run, TrainingConfig config)
    {
        var dir = config.OutputDir;
        Directory.CreateDirectory(dir);
        var metrics = Path.Combine(dir, "metrics.jsonl");
        var logFile = new StreamWriter(Path.Combine(dir, "train.log"), append: true) { AutoFlush = true };
        var tee = new TeeWriter(Console.Out, logFile, $"[{run}] ");
        var wall = Stopwatch.StartNew();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        using (logFile)
        using (var trainer = new UnimoG.Engines.Trainer.Training.Trainer(config, TrainingComponents.Load(config), CliLogging.Create("train", tee)))
        using (trainer.Progress.Subscribe(new Observer(p =>
               {
                   if (p.State != RunState.Running) return;
                   File.AppendAllText(metrics, new JsonObject
                   {
                       ["step"] = p.Step, ["loss"] = p.Loss, ["mse"] = p.MseLoss, ["attn"] = p.AttnLoss, ["lr"] = p.LearningRate,
                       ["samples_per_second"] = p.SamplesPerSecond, ["utc"] = DateTime.UtcNow.ToString("O"),
                   }.ToJsonString() + "\n");
               })))
        {
            var result = trainer.Run(c.Cancel);
            var previous = File.Exists(Path.Combine(dir, "run.json")) ? JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json"))) : null;
            var seconds = wall.Elapsed.TotalSeconds + ((double?)previous?["wall_seconds"] ?? 0);
            File.WriteAllText(Path.Combine(dir, "run.json"), MiniRecipe.Json(new JsonObject
            {
                ["run"] = run, ["state"] = result.State.ToString(), ["steps"] = result.Step, ["total_steps"] = config.TotalSteps,
                ["wall_seconds"] = Math.Round(seconds, 1),
                ["cpu_seconds"] = Math.Round((Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds + ((double?)previous?["cpu_seconds"] ?? 0), 1),
                ["threads"] = config.Threads, ["finished_utc"] = DateTime.UtcNow.ToString("O"),
            }));
            c.Log($"{run}: {result.State} at step {result.Step}/{config.TotalSteps} ({wall.Elapsed.TotalMinutes:0.0} min this time)");
        }
    }

    private sealed class Observer(Action<TrainingProgress> next) : IObserver<TrainingProgress>
    {
        public void OnCompleted() { }
        public void OnError(Exception error) { }
        public void OnNext(TrainingProgress value) => next(value);
    }

    /// <summary>Lines to the console (prefixed with the run) and to the run's train.log.</summary>
    private sealed class TeeWriter(TextWriter a, TextWriter b, string prefix) : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
        public override void Write(char value) { lock (a) a.Write(value); b.Write(value); }
        public override void WriteLine(string? value) { lock (a) a.WriteLine(prefix + value); b.WriteLine(value); }
    }
}
