using System.CommandLine;
using System.Runtime.InteropServices;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Training;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog train --config FILE.json</c>: stage-1 / stage-2 training (docs/training.md). Resumes from the newest intact
/// checkpoint of the output folder; Ctrl-C (or SIGTERM) writes a checkpoint and exits.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "training configuration (JSON, docs/training.md)", Required = true };
        var noResume = new Option<bool>("--no-resume") { Description = "start from scratch even if the output folder has checkpoints" };
        var command = new Command("train", "Train the U-Net (stage 1 text-to-image, stage 2 multimodal with the attention-mask loss).") { config, noResume };
        // Synchronous on purpose: we handle Ctrl-C ourselves so the checkpoint is written before the process ends.
        command.SetAction(parse => Run(parse.GetValue(config)!, !parse.GetValue(noResume), Console.Out));
        return command;
    }

    public static int Run(string configPath, bool resume, TextWriter output, CancellationToken external = default)
    {
        var config = TrainingConfig.Load(configPath);
        var log = CliLogging.Create("train", output);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(external);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;   // keep the process: the loop checkpoints and returns
            if (!stop.IsCancellationRequested) output.WriteLine("stopping: writing a checkpoint after this step (Ctrl-C again to abort)");
            else Environment.Exit(130);
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        try
        {
            using var trainer = new UnimoG.Engines.Trainer.Training.Trainer(config, TrainingComponents.Load(config), log);
            var result = trainer.Run(stop.Token, resume);
            output.WriteLine(result.State == RunState.Completed
                ? $"completed {result.Step} steps; checkpoint {result.Checkpoint}; weights {result.ExportedUNet}"
                : $"stopped at step {result.Step}; checkpoint {result.Checkpoint} (run the same command to resume)");
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
