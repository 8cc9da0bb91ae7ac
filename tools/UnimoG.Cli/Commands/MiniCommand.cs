using System.CommandLine;
using TorchSharp;
using UnimoG.Mini.Training;

namespace UnimoG.Cli;

/// <summary><c>unimog mini ...</c>: train the mini model's frozen parts and the EmojiBench evaluators (docs/mini-model.md).</summary>
internal static class MiniCommand
{
    public static Command Create()
    {
        var command = new Command("mini", "The mini UNIMO-G trained here on EmojiWorld: budget, VAE, MLLM, EmojiBench evaluators (see docs/mini-model.md).");
        command.Subcommands.Add(MiniBudgetCommand.Create());
        command.Subcommands.Add(MiniTrainVaeCommand.Create());
        command.Subcommands.Add(MiniTrainMllmCommand.Create());
        command.Subcommands.Add(MiniTrainEvaluatorsCommand.Create());
        command.Subcommands.Add(MiniStageCommand.Create());
        return command;
    }

    public static Option<string> OutOption(string what) => new("--out") { Description = $"Output folder ({what}); its checkpoints/ make the run resumable.", Required = true };
    public static Option<long> SeedOption() => new("--seed") { Description = "Run seed: the same seed and options give the same run, resumed or not.", DefaultValueFactory = _ => 0 };
    public static Option<int> ThreadsOption() => new("--threads") { Description = "torch intra-op threads (two collapse when another process takes a core).", DefaultValueFactory = _ => Math.Min(2, Environment.ProcessorCount) };
    public static Option<double> CheckpointMinutesOption() => new("--checkpoint-minutes") { Description = "Minutes between checkpoints.", DefaultValueFactory = _ => 5 };
    public static Option<int> LogEveryOption() => new("--log-every") { Description = "Steps between log lines.", DefaultValueFactory = _ => 50 };

    public static void SetThreads(int threads)
    {
        if (threads < 1) throw new UsageException("--threads must be at least 1");
        torch.set_num_threads(threads);
    }

    public static LoopOptions Loop(long steps, double checkpointMinutes, int logEvery)
    {
        if (steps < 1) throw new UsageException("--steps must be at least 1");
        if (checkpointMinutes <= 0) throw new UsageException("--checkpoint-minutes must be positive");
        if (logEvery < 1) throw new UsageException("--log-every must be at least 1");
        return new LoopOptions { Steps = steps, CheckpointMinutes = checkpointMinutes, LogEvery = logEvery };
    }

    /// <summary>A log that prints to stderr with a clock and appends to {out}/train.log.</summary>
    public static Action<string> Logger(string outDir)
    {
        Directory.CreateDirectory(outDir);
        var path = Path.Combine(outDir, "train.log");
        return line =>
        {
            var stamped = $"[{DateTime.Now:HH:mm:ss}] {line}";
            Console.Error.WriteLine(stamped);
            File.AppendAllText(path, stamped + Environment.NewLine);
        };
    }
}
