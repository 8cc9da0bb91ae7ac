using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace UnimoG.Engines.Telemetry;

/// <summary>
/// The instruments every service records, on one meter named "UnimoG" (exported at <c>/metrics</c> and over OTLP).
/// Prometheus names: <c>unimog_queue_depth</c>, <c>unimog_requests_active</c>, <c>unimog_step_duration_seconds</c>,
/// <c>unimog_batch_size</c>, <c>unimog_cache_hits_total</c>, <c>unimog_cache_misses_total</c>,
/// <c>unimog_cache_hit_ratio</c>, <c>unimog_images_served_total</c>, <c>unimog_rpc_errors_total</c>.
/// </summary>
public sealed class UnimoGMetrics
{
    public const string MeterName = "UnimoG";

    private readonly ConcurrentDictionary<string, CacheCounts> caches = new();

    public UnimoGMetrics(IMeterFactory factory)
    {
        var meter = factory.Create(MeterName);
        QueueDepth = meter.CreateUpDownCounter<long>("unimog.queue.depth", "{request}",
            "Requests waiting in a service's queue (tag queue).");
        ActiveRequests = meter.CreateUpDownCounter<long>("unimog.requests.active", "{request}",
            "gRPC calls being served (tag grpc.method); recorded for every service.");
        StepDuration = meter.CreateHistogram("unimog.step.duration", "s",
            "Latency of one model step, e.g. one denoising step of a batch (tag step).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        BatchSize = meter.CreateHistogram("unimog.batch.size", "{item}",
            "Items per batch run by a dynamic batcher.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });
        CacheHits = meter.CreateCounter<long>("unimog.cache.hits", "{lookup}", "Cache lookups that hit (tag cache).");
        CacheMisses = meter.CreateCounter<long>("unimog.cache.misses", "{lookup}", "Cache lookups that missed (tag cache).");
        meter.CreateObservableGauge("unimog.cache.hit_ratio", ObserveHitRatios, "1",
            "Hits / lookups since start, per cache (tag cache).");
        ImagesServed = meter.CreateCounter<long>("unimog.images.served", "{image}", "Images returned to callers.");
        Errors = meter.CreateCounter<long>("unimog.rpc.errors", "{call}",
            "gRPC calls that ended with a non-OK status (tags grpc.method, grpc.status); recorded for every service.");
    }

    public UpDownCounter<long> QueueDepth { get; }

    public UpDownCounter<long> ActiveRequests { get; }

    public Histogram<double> StepDuration { get; }

    public Histogram<int> BatchSize { get; }

    public Counter<long> CacheHits { get; }

    public Counter<long> CacheMisses { get; }

    public Counter<long> ImagesServed { get; }

    public Counter<long> Errors { get; }

    /// <summary>Records one lookup of the named cache (counters and the hit ratio gauge).</summary>
    public void RecordCacheLookup(string cache, bool hit)
    {
        var tag = new KeyValuePair<string, object?>("cache", cache);
        (hit ? CacheHits : CacheMisses).Add(1, tag);
        var counts = caches.GetOrAdd(cache, _ => new CacheCounts());
        Interlocked.Increment(ref hit ? ref counts.Hits : ref counts.Misses);
    }

    private IEnumerable<Measurement<double>> ObserveHitRatios()
    {
        foreach (var (name, c) in caches)
        {
            long hits = Volatile.Read(ref c.Hits), total = hits + Volatile.Read(ref c.Misses);
            if (total > 0)
                yield return new((double)hits / total, new KeyValuePair<string, object?>("cache", name));
        }
    }

    private sealed class CacheCounts
    {
        public long Hits;
        public long Misses;
    }
}
