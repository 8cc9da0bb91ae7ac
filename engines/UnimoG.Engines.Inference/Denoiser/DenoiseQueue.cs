using System.Diagnostics;
using UnimoG.Client;
using UnimoG.Contracts.V1;

namespace UnimoG.Engines.Inference;

/// <summary>
/// Admission for the batcher: requests wait here (at most <see cref="DenoiserOptions.MaxQueue"/>, then
/// <see cref="QueueFullException"/>) until their latent size's batch has room (<see cref="DenoiserOptions.MaxBatchImages"/>
/// images); an idle batcher gives requests arriving together up to <see cref="DenoiserOptions.BatchWait"/> to start together.
/// Thread-safe; the worker thread takes from it.
/// </summary>
internal sealed class DenoiseQueue(DenoiserOptions options, DenoiseTelemetry telemetry, Func<TimeSpan> retryHint)
{
    private readonly object _gate = new();
    private readonly List<DenoiseJob> _pending = [];
    private bool _closed;

    public int Count { get { lock (_gate) return _pending.Count; } }

    public void Add(DenoiseJob job)
    {
        lock (_gate)
        {
            if (_closed) throw new ObjectDisposedException(nameof(DenoiseBatcher));
            if (_pending.Count >= options.MaxQueue)
                throw new QueueFullException($"the denoiser queue is full ({_pending.Count} requests waiting, Denoiser:MaxQueue = {options.MaxQueue}); retry later", retryHint());
            _pending.Add(job);
            telemetry.Queued(1);
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Wakes the worker (a request was cancelled, or the batcher closes).</summary>
    public void Wake()
    {
        lock (_gate) Monitor.PulseAll(_gate);
    }

    /// <summary>
    /// Blocks while there is nothing to do, then returns the pending requests that fit their size's batch now, in
    /// arrival order (cancelled ones are failed and released). <paramref name="active"/> are the requests being stepped.
    /// A request left waiting is told its position (<see cref="DenoiseUpdate.Queued"/>) when it first waits and whenever
    /// its position changes. Returns null once the queue is closed.
    /// </summary>
    public List<DenoiseJob>? Take(IReadOnlyCollection<DenoiseJob> active)
    {
        var admitted = Admit(active, out var waiting);
        // Told outside the lock: a request's channel has its own.
        var running = active.Count + (admitted?.Count ?? 0);
        foreach (var (job, position) in waiting)
            job.Emit(new DenoiseUpdate.Queued(new DenoiseQueued { Position = position, Active = running }));
        return admitted;
    }

    /// <summary>The requests admitted now, and the waiting ones whose position changed (with it).</summary>
    private List<DenoiseJob>? Admit(IReadOnlyCollection<DenoiseJob> active, out List<(DenoiseJob Job, int Position)> moved)
    {
        moved = [];
        lock (_gate)
        {
            while (!_closed && _pending.Count == 0 && active.Count == 0) Monitor.Wait(_gate);
            if (_closed) return null;
            if (active.Count == 0) WaitForJoiners();
            var images = active.GroupBy(j => j.ShapeKey).ToDictionary(g => g.Key, g => g.Sum(j => j.Spec.NumImages));
            var admitted = new List<DenoiseJob>();
            foreach (var job in _pending.ToList())
            {
                if (job.Token.IsCancellationRequested)
                {
                    Remove(job);
                    job.Fail(new OperationCanceledException(job.Token));
                    job.Release();
                    continue;
                }
                var used = images.GetValueOrDefault(job.ShapeKey);
                if (used + job.Spec.NumImages > options.MaxBatchImages) continue;
                images[job.ShapeKey] = used + job.Spec.NumImages;
                Remove(job);
                admitted.Add(job);
            }
            for (var position = 0; position < _pending.Count; position++)
            {
                var job = _pending[position];
                if (job.ToldPosition == position) continue;
                job.ToldPosition = position;
                moved.Add((job, position));
            }
            return admitted;
        }
    }

    /// <summary>Refuses new requests from now on and wakes the worker, which then ends.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>After <see cref="Close"/>: the requests still waiting, handed back to be failed.</summary>
    public List<DenoiseJob> TakeRemaining()
    {
        lock (_gate)
        {
            var left = _pending.ToList();
            foreach (var job in left) Remove(job);
            return left;
        }
    }

    private void Remove(DenoiseJob job)
    {
        _pending.Remove(job);
        telemetry.Queued(-1);
    }

    /// <summary>An idle batcher gives requests arriving together a moment to start together (bounded by BatchWait).</summary>
    private void WaitForJoiners()
    {
        var until = _pending.Count == 0 ? 0 : _pending[0].Arrived + (long)(options.BatchWait.TotalSeconds * Stopwatch.Frequency);
        while (!_closed && _pending.Sum(j => j.Spec.NumImages) < options.MaxBatchImages)
        {
            var left = until - Stopwatch.GetTimestamp();
            if (left <= 0) break;
            Monitor.Wait(_gate, TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
        }
    }
}
