using System.Threading.Channels;

namespace UnimoG.Engines.Trainer.Training;

public enum RunState { Starting, Running, Checkpointing, Stopped, Completed, Failed }

/// <summary>One optimizer step's metrics (losses are means over its micro-batches), or a state change.</summary>
public sealed record TrainingProgress(long Step, long TotalSteps, string Phase, double Loss, double MseLoss, double? AttnLoss,
    double LearningRate, double SamplesPerSecond, RunState State, string? Checkpoint = null, string? Message = null);

/// <summary>
/// Fans progress out to any number of watchers: each <see cref="Subscribe"/> gets its own bounded channel (a slow
/// watcher drops its oldest metrics, never the trainer's time), and <see cref="IObservable{T}"/> observers are called
/// inline. Completing the hub completes every channel.
/// </summary>
public sealed class ProgressHub : IObservable<TrainingProgress>
{
    private readonly object _gate = new();
    private readonly List<Channel<TrainingProgress>> _channels = [];
    private readonly List<IObserver<TrainingProgress>> _observers = [];
    private bool _completed;

    public TrainingProgress? Last { get; private set; }

    public ChannelReader<TrainingProgress> Subscribe(int capacity = 1024)
    {
        var channel = Channel.CreateBounded<TrainingProgress>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate)
        {
            if (Last is not null) channel.Writer.TryWrite(Last);
            if (_completed) channel.Writer.TryComplete();
            else _channels.Add(channel);
        }
        return channel.Reader;
    }

    public IDisposable Subscribe(IObserver<TrainingProgress> observer)
    {
        lock (_gate) _observers.Add(observer);
        return new Unsubscriber(() => { lock (_gate) _observers.Remove(observer); });
    }

    public void Publish(TrainingProgress p)
    {
        IObserver<TrainingProgress>[] observers;
        lock (_gate)
        {
            Last = p;
            foreach (var c in _channels) c.Writer.TryWrite(p);
            observers = [.. _observers];
        }
        foreach (var o in observers) o.OnNext(p);
    }

    public void Complete(Exception? error = null)
    {
        IObserver<TrainingProgress>[] observers;
        lock (_gate)
        {
            if (_completed) return;
            _completed = true;
            foreach (var c in _channels) c.Writer.TryComplete();
            _channels.Clear();
            observers = [.. _observers];
        }
        foreach (var o in observers)
            if (error is null) o.OnCompleted(); else o.OnError(error);
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
