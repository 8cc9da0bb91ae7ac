using UnimoG.Engines.Trainer.Runs;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Training;

namespace UnimoG.Trainer;

/// <summary>
/// Batch-job mode: when <c>Trainer:ConfigPath</c> is set (env <c>Trainer__ConfigPath</c>), the service starts that run
/// at start-up (resuming from the newest intact checkpoint), serves WatchRun/StopRun/ListCheckpoints while it trains,
/// and stops the host when it ends: exit code 0 when completed or stopped, 1 when it failed.
/// </summary>
public sealed class ConfiguredRun(IConfiguration configuration, RunManager runs, Func<TrainingConfig, TrainingComponents> load, IHostApplicationLifetime lifetime,
    ILogger<ConfiguredRun> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (configuration["Trainer:ConfigPath"] is not { Length: > 0 } path) return;
        try
        {
            await Task.Yield();
            var config = TrainingConfig.Load(path);
            var run = runs.Start(config, resume: true, load);
            log.LogInformation("Started configured run {Run} from {Config}", run.Id, path);
            var result = await run.Completion;
            log.LogInformation("Configured run {Run} ended: {State} at step {Step}", run.Id, result.State, result.Step);
            Environment.ExitCode = 0;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "Configured run from {Config} failed", path);
            Environment.ExitCode = 1;
        }
        lifetime.StopApplication();
    }
}
