using System.Diagnostics;
using UnimoG.Engines.Telemetry;

namespace UnimoG.Engines.Inference;

/// <summary>
/// What the batcher tells operations: queue depth (<c>unimog_queue_depth{queue="denoiser"}</c>), step latency and
/// batch size, and spans inside each request's own trace (the worker thread has no ambient span).
/// </summary>
internal sealed class DenoiseTelemetry(UnimoGMetrics? metrics)
{
    private static readonly KeyValuePair<string, object?> QueueTag = new("queue", "denoiser");

    public void Queued(int delta) => metrics?.QueueDepth.Add(delta, QueueTag);

    /// <summary>
    /// A batch step: its latency and size, and a "denoise step" span per request of the batch with the request's step
    /// number, the batch's make-up and the queue (this request's wait before its first step, requests still waiting).
    /// </summary>
    public void Stepped(IReadOnlyList<DenoiseJob> jobs, DateTimeOffset startedUtc, double seconds, int pending)
    {
        metrics?.StepDuration.Record(seconds, new KeyValuePair<string, object?>("step", "denoise"));
        metrics?.BatchSize.Record(jobs.Sum(j => j.Spec.NumImages));
        if (!UnimoGTelemetry.Source.HasListeners()) return;
        foreach (var job in jobs)
        {
            if (job.Trace == default) continue;
            using var span = UnimoGTelemetry.Source.StartActivity("denoise step", ActivityKind.Internal, job.Trace, startTime: startedUtc);
            if (span is null) continue;
            span.SetTag("unimog.request_id", job.Spec.RequestId);
            span.SetTag("unimog.step", job.Index);
            span.SetTag("unimog.steps", job.Spec.Steps);
            span.SetTag("unimog.batch.requests", jobs.Count);
            span.SetTag("unimog.batch.images", jobs.Sum(j => j.Spec.NumImages));
            span.SetTag("unimog.queue", QueueTag.Value);
            span.SetTag("unimog.queue.wait_ms", job.QueueMs);
            span.SetTag("unimog.queue.pending", pending);
        }
    }

    /// <summary>A "denoise queued" span from the request's arrival to its admission into the batch.</summary>
    public void Admitted(DenoiseJob job, int pending)
    {
        if (job.Trace == default || !UnimoGTelemetry.Source.HasListeners()) return;
        using var span = UnimoGTelemetry.Source.StartActivity("denoise queued", ActivityKind.Internal, job.Trace, startTime: job.ArrivedUtc);
        span?.SetTag("unimog.request_id", job.Spec.RequestId);
        span?.SetTag("unimog.queue", QueueTag.Value);
        span?.SetTag("unimog.queue.wait_ms", job.QueueMs);
        span?.SetTag("unimog.queue.pending", pending);
    }
}
