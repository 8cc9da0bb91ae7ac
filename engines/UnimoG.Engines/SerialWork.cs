using System.Diagnostics;
using UnimoG.Engines.Telemetry;

namespace UnimoG.Engines;

/// <summary>
/// Work on a shared model, one call at a time (the modules are shared; the CPU or GPU is the limit anyway), with
/// what operations need to see of it: requests waiting for the model in <c>unimog_queue_depth{queue}</c> (what the
/// encoder's and VAE's autoscalers follow), each run's latency in <c>unimog_step_duration_seconds{step}</c>, and a
/// span per run inside the caller's trace. At most <paramref name="maxQueue"/> callers wait; one more is refused
/// (<see cref="QueueFullException"/>) with a retry hint: the waiting callers times the recent mean run time.
/// </summary>
/// <param name="setting">The key that sets <paramref name="maxQueue"/>, named in the refusal.</param>
public sealed class SerialWork(string queue, UnimoGMetrics? metrics, int maxQueue = int.MaxValue, string? setting = null)
{
    private readonly SemaphoreSlim _model = new(1, 1);
    private readonly KeyValuePair<string, object?> _queue = new("queue", queue);
    private int _inside;             // running + waiting
    private double _meanSeconds = 0.1;   // exponentially weighted mean of recent runs (the first hint: 100 ms)

    /// <summary>Runs <paramref name="work"/> alone, as step <paramref name="step"/> (also the span's name).</summary>
    /// <param name="cancellation">Also ends the wait: a caller that leaves while queued costs nothing.</param>
    public T Run<T>(string step, Func<T> work, CancellationToken cancellation = default)
    {
        var inside = Interlocked.Increment(ref _inside);
        if (inside - 1 > maxQueue)
        {
            Interlocked.Decrement(ref _inside);
            var wait = TimeSpan.FromSeconds(Math.Max(0.05, Volatile.Read(ref _meanSeconds) * inside));
            throw new QueueFullException($"the {queue} queue is full ({maxQueue} requests waiting, {setting ?? "its limit"} = {maxQueue}); retry later", wait);
        }
        try
        {
            metrics?.QueueDepth.Add(1, _queue);
            try
            {
                _model.Wait(cancellation);
            }
            finally
            {
                metrics?.QueueDepth.Add(-1, _queue);
            }
            try
            {
                using var span = UnimoGTelemetry.Source.StartActivity(step);
                var started = Stopwatch.GetTimestamp();
                var result = work();
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                Volatile.Write(ref _meanSeconds, 0.8 * _meanSeconds + 0.2 * seconds);
                metrics?.StepDuration.Record(seconds, new KeyValuePair<string, object?>("step", step));
                return result;
            }
            finally
            {
                _model.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
        }
    }
}
