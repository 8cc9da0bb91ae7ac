using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using UnimoG.Distributed.Mpi;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Distributed;
using UnimoG.Engines.Trainer.Training;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog train --config FILE.json [--max-steps N]</c>: stage-1 / stage-2 training (docs/training.md). Resumes from
/// the newest intact checkpoint of the output folder; Ctrl-C or SIGTERM writes a checkpoint and exits. Started by
/// <c>mpirun -np N</c> (Open MPI's OMPI_COMM_WORLD_SIZE in the environment) it is one rank of a data-parallel run:
/// rank 0 prints and writes, the others print only warnings and errors, and a failure on any rank aborts the job.
/// </summary>
internal static class TrainCommand
{
    /// <summary>SIGUSR1 on Linux (PosixSignalRegistration takes raw signal numbers cast to PosixSignal).</summary>
    private const int SigUsr1 = 10;

    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "training configuration (JSON, docs/training.md)", Required = true };
        var noResume = new Option<bool>("--no-resume") { Description = "start from scratch; the output folder's earlier checkpoints are moved to checkpoints.earlier-TIME/" };
        var maxSteps = new Option<long?>("--max-steps")
        {
            Description = "stop at step N of the run (counted like the checkpoints) with a checkpoint and the exported weights; "
                + "the schedule stays the configuration's, and a later run continues from there",
        };
        var command = new Command("train", "Train the U-Net (stage 1 text-to-image, stage 2 multimodal with the attention-mask loss).") { config, noResume, maxSteps };
        // Synchronous on purpose: we handle Ctrl-C ourselves so the checkpoint is written before the process ends.
        command.SetAction(parse => Run(parse.GetValue(config)!, !parse.GetValue(noResume), parse.GetValue(maxSteps)));
        return command;
    }

    public static int Run(string configPath, bool resume, long? maxSteps, CancellationToken external = default)
    {
        if (maxSteps is < 1) throw new UsageException($"--max-steps must be at least 1, got {maxSteps}");
        var config = TrainingConfig.Load(configPath);
        if (MpiWorld.ForeignLauncher)
            throw new UsageException("started by another MPI's launcher (PMI_SIZE is set): data-parallel training binds Open MPI's libmpi.so.40; use Open MPI's mpirun");
        if (!MpiWorld.Launched) return Train(config, configPath, resume, maxSteps, null, external);
        using var world = MpiWorld.Init(TimeSpan.FromSeconds(config.Distributed.CollectiveTimeoutSeconds));
        try
        {
            return Train(config, configPath, resume, maxSteps, world, external);
        }
        catch (Exception e)
        {
            // One rank's failure is the job's: the others would wait in their next collective until the timeout.
            Console.Error.WriteLine($"unimog: rank {world.Rank} of {world.Size}: {e.Message}");
            if (e is not (UsageException or UnimoG.Data.Config.ConfigException or FileNotFoundException or DirectoryNotFoundException))
                Console.Error.WriteLine(e.StackTrace);
            Console.Error.Flush();
            world.Abort(e is UsageException or UnimoG.Data.Config.ConfigException ? 2 : 1);
            throw;
        }
    }

    private static int Train(TrainingConfig config, string configPath, bool resume, long? maxSteps, MpiWorld? world, CancellationToken external)
    {
        var end = Math.Min(config.TotalSteps, maxSteps ?? long.MaxValue);
        var root = world is not { Rank: > 0 };
        var progress = root ? ProgressLine.ForConsole() : new ProgressLine(TextWriter.Null, terminal: false);
        var log = root ? CliLogging.Create("train", progress) : CliLogging.Quiet($"rank {world!.Rank}: ", Console.Error);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(external);
        void Stop(string signal)
        {
            if (!stop.IsCancellationRequested)
                progress.WriteLine($"{signal}: stopping after this step and writing a checkpoint ({(signal == "Ctrl-C" ? "Ctrl-C again aborts" : "run the same command to resume")})");
            stop.Cancel();
        }
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;   // keep the process: the loop checkpoints and returns
            if (stop.IsCancellationRequested) Environment.Exit(130);
            Stop("Ctrl-C");
        };
        Console.CancelKeyPress += onCancel;
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; Stop("SIGTERM"); });
        // Under mpirun: Open MPI's mpirun answers SIGTERM by killing the job, but forwards SIGUSR1 to every rank, so
        // `kill -USR1 <mpirun>` is the graceful stop of a data-parallel run (a checkpoint at the same step on all ranks).
        using var usr1 = PosixSignalRegistration.Create((PosixSignal)SigUsr1, ctx => { ctx.Cancel = true; Stop("SIGUSR1"); });
        try
        {
            progress.WriteLine($"{configPath}: {config.TotalSteps} steps in {config.Phases.Count} phase(s) into {config.OutputDir}"
                + (end < config.TotalSteps ? $"; this run stops at step {end} (--max-steps)" : ""));
            if (!resume && root) SetAsideEarlierCheckpoints(config.OutputDir, progress);
            world?.Barrier("--no-resume: earlier checkpoints set aside");
            progress.WriteLine("loading the U-Net, the VAE and the condition source...");
            var loading = Stopwatch.StartNew();
            var parallel = world is null ? null : DataParallel.Join(world, config);
            using var trainer = new UnimoG.Engines.Trainer.Training.Trainer(config, TrainingComponents.Load(config), log, parallel);
            progress.WriteLine($"loaded in {loading.Elapsed.TotalSeconds:0.0} s; indexing the data, then the first step (slower: warm-up)");
            using var watch = trainer.Progress.Subscribe(new StepProgress(progress, end));
            var result = trainer.Run(stop.Token, resume, maxSteps: maxSteps);
            progress.Finish();
            if (!root) return 0;
            Console.Out.WriteLine(result switch
            {
                { State: RunState.Completed } => $"completed {result.Step} steps; checkpoint {result.Checkpoint}; weights {result.ExportedUNet}",
                { ExportedUNet: not null } => $"stopped at step {result.Step} of {config.TotalSteps} (--max-steps); checkpoint {result.Checkpoint}; weights {result.ExportedUNet} "
                    + "(run without --max-steps, or with a larger one, to continue)",
                { Checkpoint: null } => $"stopped at step {result.Step} before training a step; no checkpoint",
                _ => $"stopped at step {result.Step}; checkpoint {result.Checkpoint} (run the same command to resume)",
            });
            return 0;
        }
        finally
        {
            progress.Finish();
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>
    /// --no-resume over an earlier run: its checkpoints would stay the newest (the next resume would pick them, and
    /// keep_last would prune the new run's as older), so they are moved aside, not deleted.
    /// </summary>
    private static void SetAsideEarlierCheckpoints(string outputDir, ProgressLine progress)
    {
        var store = UnimoG.Data.Checkpoints.CheckpointStore.ForRun(outputDir);
        if (store.List(hashes: false) is not { Count: > 0 } earlier) return;
        var aside = $"{store.Root}.earlier-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}";
        Directory.Move(store.Root, aside);
        progress.WriteLine($"--no-resume: moved the earlier checkpoints (up to step {earlier.Max(c => c.Step)}) to {aside}");
    }

    /// <summary>The trainer's per-step events as the progress line: step, mean loss since the last line, samples/s, ETA.</summary>
    private sealed class StepProgress(ProgressLine line, long end) : IObserver<TrainingProgress>
    {
        private double _loss, _rate;
        private int _n;

        public void OnNext(TrainingProgress p)
        {
            if (p.State != RunState.Running) return;
            _loss += p.Loss;
            _rate += p.SamplesPerSecond;
            _n++;
            if (line.Report(p.Step, end, "steps", () => string.Create(CultureInfo.InvariantCulture,
                    $"[{p.Phase}] loss {_loss / _n:0.0000}, {_rate / _n:0.0} samples/s")))
                _loss = _rate = _n = 0;
        }

        public void OnCompleted() { }

        public void OnError(Exception error) { }
    }
}
