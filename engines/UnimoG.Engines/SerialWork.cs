using System.Diagnostics;
using UnimoG.Engines.Telemetry;

namespace UnimoG.Engines;

/// <summary>
/// Work on a shared model, one call at a time (the modules are shared; the CPU or GPU is the limit anyway), with
/// what operations need to see of it: requests waiting for the model in <c>unimog_queue_depth{queue}</c> (what the
/// encoder's and VAE's autoscalers follow), each run's latency in <c>unimog_step_duration_seconds{step}</c>, and a
/// span per run inside the caller's trace.
/// </summary>
public sealed class SerialWork(string queue, UnimoGMetrics? metrics)
{
    private readonly object _gate = new();
    private readonly KeyValuePair<string, object?> _queue = new("queue", queue);

    /// <summary>Runs <paramref name="work"/> alone, as step <paramref name="step"/> (also the span's name).</summary>
    /// <param name="cancellation">Checked once the model is free: a caller that left while queued costs nothing.</param>
    public T Run<T>(string step, Func<T> work, CancellationToken cancellation = default)
    {
        var taken = false;
        metrics?.QueueDepth.Add(1, _queue);
        try
        {
            Monitor.Enter(_gate, ref taken);
        }
        finally
        {
            metrics?.QueueDepth.Add(-1, _queue);
        }
        try
        {
            cancellation.ThrowIfCancellationRequested();
            using var span = UnimoGTelemetry.Source.StartActivity(step);
            var started = Stopwatch.GetTimestamp();
            var result = work();
            metrics?.StepDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("step", step));
            return result;
        }
        finally
        {
            if (taken) Monitor.Exit(_gate);
        }
    }
}
