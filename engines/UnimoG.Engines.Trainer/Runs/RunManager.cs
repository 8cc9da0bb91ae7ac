using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Training;

namespace UnimoG.Engines.Trainer.Runs;

/// <summary>A run started through the service: its trainer on a thread of its own, its stop switch, its outcome.</summary>
public sealed class TrainingRun
{
    private readonly CancellationTokenSource _stop = new();

    public string Id { get; }
    public TrainingConfig Config { get; }
    public Training.Trainer Trainer { get; }
    public Task<TrainingResult> Completion { get; }
    public bool CheckpointOnStop { get; private set; } = true;

    internal TrainingRun(string id, TrainingConfig config, Training.Trainer trainer, bool resume, ILogger logger)
    {
        Id = id;
        Config = config;
        Trainer = trainer;
        var done = new TaskCompletionSource<TrainingResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        Completion = done.Task;
        // A dedicated thread: the loop is synchronous (grad mode is per thread) and long.
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(trainer.Run(_stop.Token, resume, () => CheckpointOnStop));
            }
            catch (Exception e)
            {
                logger.LogError(e, "Run {Run} failed", id);
                done.SetException(e);
            }
            finally
            {
                trainer.Dispose();
            }
        }) { IsBackground = true, Name = $"trainer {id}" };
        thread.Start();
    }

    public RunState State => Completion.IsCompletedSuccessfully ? Completion.Result.State
        : Completion.IsFaulted ? RunState.Failed
        : Trainer.Progress.Last?.State ?? RunState.Starting;

    public void Stop(bool checkpoint)
    {
        CheckpointOnStop = checkpoint;
        _stop.Cancel();
    }
}

/// <summary>The runs of this process; one trains at a time (torch's thread pool is process-wide).</summary>
public sealed class RunManager(ILoggerFactory loggers) : IDisposable
{
    private readonly ConcurrentDictionary<string, TrainingRun> _runs = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public TrainingRun Start(TrainingConfig config, bool resume, Func<TrainingConfig, TrainingComponents> load)
    {
        lock (_gate)
        {
            if (_runs.Values.FirstOrDefault(r => !r.Completion.IsCompleted) is { } busy)
                throw new InvalidOperationException($"run {busy.Id} is still training; stop it first");
            var id = $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
            var logger = loggers.CreateLogger($"UnimoG.Trainer.{id}");
            var trainer = new Training.Trainer(config, load(config), logger);
            var run = new TrainingRun(id, config, trainer, resume, logger);
            _runs[id] = run;
            return run;
        }
    }

    public TrainingRun? Find(string id) => _runs.TryGetValue(id, out var r) ? r : null;

    public void Dispose()
    {
        foreach (var r in _runs.Values) r.Stop(checkpoint: true);
        Task.WaitAll([.. _runs.Values.Select(r => r.Completion.ContinueWith(_ => { }))], TimeSpan.FromMinutes(2));
    }
}
