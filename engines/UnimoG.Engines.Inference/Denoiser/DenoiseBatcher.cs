using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Engines.Telemetry;
using UnimoG.Modeling;
using UnimoG.Modeling.Sampling;
using UnimoG.Modeling.Schedulers;
using UnimoG.Engines;
using static TorchSharp.torch;

namespace UnimoG.Engines.Inference;

/// <summary>
/// Dynamic batching of denoising requests. One worker thread steps every active request; requests with the same
/// latent shape go through the U-Net together as one batch (each at its own step of its own schedule, with its own
/// guidance scale, eta and generator), joining at the next step after they arrive and leaving after their last
/// step. Conditions of different lengths are padded with a key mask, so a request gets the image it would get
/// alone (up to float rounding in the batched kernels). Bounds: <see cref="DenoiserOptions.MaxBatchImages"/> images
/// per batch, <see cref="DenoiserOptions.MaxQueue"/> waiting requests (then <see cref="QueueFullException"/>), and
/// an idle batcher waits at most <see cref="DenoiserOptions.BatchWait"/> for joiners before the first step.
/// A cancelled request (or one whose ticket is disposed) leaves at the next step and its tensors are freed.
/// </summary>
public sealed class DenoiseBatcher : IDisposable
{
    private readonly DenoiserModel _model;
    private readonly DenoiserOptions _options;
    private readonly UnimoGMetrics? _metrics;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly List<Job> _pending = [];     // guarded by _gate
    private readonly List<Job> _active = [];      // worker thread only
    private readonly Thread _worker;
    private volatile int _activeCount;
    private bool _disposed;

    private readonly bool _ownsModel;
    private static readonly KeyValuePair<string, object?> QueueTag = new("queue", "denoiser");

    /// <param name="ownsModel">Dispose the model with the batcher.</param>
    public DenoiseBatcher(DenoiserModel model, DenoiserOptions options, UnimoGMetrics? metrics = null, ILogger? log = null, bool ownsModel = true)
    {
        _model = model;
        _ownsModel = ownsModel;
        _options = options;
        _metrics = metrics;
        _log = log ?? NullLogger.Instance;
        _worker = new Thread(Run) { IsBackground = true, Name = "denoise-batcher" };
        _worker.Start();
    }

    public DenoiserModel Model => _model;

    /// <summary>Raised on the worker thread after each request's step (request id, 1-based step, requests in the batch): for tests and tracing.</summary>
    internal event Action<string, int, int>? Stepped;

    /// <summary>Raised when a queued or running request is cancelled (request id), on the cancelling thread: for tests.</summary>
    internal event Action<string>? Cancelling;

    /// <summary>Requests being stepped.</summary>
    public int ActiveCount => _activeCount;

    /// <summary>Requests waiting for a batch slot.</summary>
    public int PendingCount { get { lock (_gate) return _pending.Count; } }

    /// <summary>
    /// Queues a request. Takes ownership of <paramref name="cond"/> and <paramref name="uncond"/> ([1, L, D] each,
    /// int64 key masks): they are disposed when the request ends, or now if it is refused.
    /// </summary>
    public DenoiseTicket Submit(DenoiseSpec spec, Conditioning cond, Conditioning? uncond, CancellationToken cancellationToken)
    {
        var job = new Job(spec, cond, uncond, cancellationToken);
        try
        {
            if (spec.Guided && uncond is null)
                throw new InvalidFieldException("uncond.hidden_states", $"guidance_scale {spec.GuidanceScale} > 1 needs the unconditional (or negative) condition");
            // Wake the worker when the request is cancelled, so it leaves promptly even while the batcher waits.
            job.Wake = job.Token.Register(() =>
            {
                Cancelling?.Invoke(spec.RequestId);
                lock (_gate) Monitor.PulseAll(_gate);
            });
            lock (_gate)
            {
                if (_disposed) throw new ObjectDisposedException(nameof(DenoiseBatcher));
                if (_pending.Count >= _options.MaxQueue)
                    throw new QueueFullException($"the denoiser queue is full ({_pending.Count} requests waiting, Denoiser:MaxQueue = {_options.MaxQueue}); retry later");
                _pending.Add(job);
                _metrics?.QueueDepth.Add(1, QueueTag);
                Monitor.PulseAll(_gate);
            }
        }
        catch
        {
            job.Release();
            throw;
        }
        return new DenoiseTicket(job);
    }

    private void Run()
    {
        using var noGrad = no_grad(); // grad mode is per thread: this thread never needs gradients
        while (true)
        {
            List<Job> admitted;
            lock (_gate)
            {
                while (!_disposed && _pending.Count == 0 && _active.Count == 0) Monitor.Wait(_gate);
                if (_disposed) break;
                if (_active.Count == 0) WaitForJoiners();
                admitted = TakeAdmissible();
            }
            foreach (var job in admitted) Start(job);
            DropCancelled();
            foreach (var group in _active.GroupBy(j => j.ShapeKey).Select(g => g.ToList()).ToList())
                StepGroup(group);
            _activeCount = _active.Count;
        }
        foreach (var job in _active.ToList()) Finish(job, new ObjectDisposedException(nameof(DenoiseBatcher), "the denoiser is shutting down"));
        lock (_gate)
        {
            foreach (var job in _pending) { job.Fail(new ObjectDisposedException(nameof(DenoiseBatcher), "the denoiser is shutting down")); job.Release(); }
            _pending.Clear();
        }
    }

    /// <summary>An idle batcher gives requests arriving together a moment to start together (bounded by BatchWait).</summary>
    private void WaitForJoiners()
    {
        var until = _pending.Count == 0 ? 0 : _pending[0].Arrived + (long)(_options.BatchWait.TotalSeconds * Stopwatch.Frequency);
        while (!_disposed && _pending.Sum(j => j.Spec.NumImages) < _options.MaxBatchImages)
        {
            var left = until - Stopwatch.GetTimestamp();
            if (left <= 0) break;
            Monitor.Wait(_gate, TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
        }
    }

    /// <summary>Pending requests that fit their shape's batch now, in arrival order (cancelled ones are dropped).</summary>
    private List<Job> TakeAdmissible()
    {
        var images = _active.GroupBy(j => j.ShapeKey).ToDictionary(g => g.Key, g => g.Sum(j => j.Spec.NumImages));
        var admitted = new List<Job>();
        foreach (var job in _pending.ToList())
        {
            if (job.Token.IsCancellationRequested)
            {
                _pending.Remove(job);
                _metrics?.QueueDepth.Add(-1, QueueTag);
                job.Fail(new OperationCanceledException(job.Token));
                job.Release();
                continue;
            }
            var used = images.GetValueOrDefault(job.ShapeKey);
            if (used + job.Spec.NumImages > _options.MaxBatchImages) continue;
            images[job.ShapeKey] = used + job.Spec.NumImages;
            _pending.Remove(job);
            _metrics?.QueueDepth.Add(-1, QueueTag);
            admitted.Add(job);
        }
        return admitted;
    }

    /// <summary>Seeded initial noise and the schedule, on this thread; conditions repeated per image.</summary>
    private void Start(Job job)
    {
        try
        {
            var s = job.Spec;
            var f = _model.Folder.VaeScaleFactor;
            job.Generator = new Generator(s.Seed);
            job.X = Samplers.InitialNoise(_model.Scheduler, [s.NumImages, _model.Folder.LatentChannels, s.Height / f, s.Width / f], job.Generator);
            job.Timesteps = _model.Scheduler.TimestepsFor(s.Steps);
            job.CondRows = s.NumImages == 1 ? null : job.Cond.RepeatRows(s.NumImages);
            job.UncondRows = s.Guided && s.NumImages > 1 ? job.Uncond!.RepeatRows(s.NumImages) : null;
            job.Started = Stopwatch.GetTimestamp();
            _active.Add(job);
            TraceQueued(job);
        }
        catch (Exception e)
        {
            job.Fail(e);
            job.Release();
        }
    }

    private void DropCancelled()
    {
        foreach (var job in _active.Where(j => j.Token.IsCancellationRequested).ToList())
            Finish(job, new OperationCanceledException(job.Token));
    }

    /// <summary>
    /// One U-Net call for every request of one latent shape: per request [x; x] under [uncond; cond] when guided,
    /// [x] under cond otherwise; then guidance per request and one scheduler step over segments.
    /// </summary>
    private void StepGroup(List<Job> jobs)
    {
        var started = Stopwatch.GetTimestamp();
        var startedUtc = DateTimeOffset.UtcNow;
        try
        {
            using var scope = NewDisposeScope();
            var inputs = new List<Tensor>();
            var conds = new List<Conditioning>();
            var timesteps = new List<long>();
            foreach (var job in jobs)
            {
                var t = job.Timesteps[job.Index];
                var n = job.Spec.NumImages;
                if (job.Spec.Guided)
                {
                    inputs.Add(job.X!); inputs.Add(job.X!);
                    conds.Add(job.UncondRows ?? job.Uncond!); conds.Add(job.CondRows ?? job.Cond);
                    timesteps.AddRange(Enumerable.Repeat(t, 2 * n));
                }
                else
                {
                    inputs.Add(job.X!);
                    conds.Add(job.CondRows ?? job.Cond);
                    timesteps.AddRange(Enumerable.Repeat(t, n));
                }
            }
            using var batch = Conditioning.Concat(conds);                                          // [R, Lmax, D], mask [R, Lmax]
            var output = _model.UNet.forward(cat(inputs, 0), tensor(timesteps.ToArray()), batch.HiddenStates, batch.AttentionMask); // [R, C, h, w]
            var predictions = new List<Tensor>();
            var segments = new List<DdimSegment>();
            long row = 0;
            foreach (var job in jobs)
            {
                var n = job.Spec.NumImages;
                if (job.Spec.Guided)
                {
                    predictions.Add(Guidance.Combine(output.narrow(0, row, n), output.narrow(0, row + n, n), Enumerable.Repeat(job.Spec.GuidanceScale, n).ToArray()));
                    row += 2 * n;
                }
                else
                {
                    predictions.Add(output.narrow(0, row, n));
                    row += n;
                }
                segments.Add(new DdimSegment(n, job.Timesteps[job.Index], job.Spec.Steps, job.Spec.Eta, job.Spec.Eta > 0 ? job.Generator : null));
            }
            using var step = _model.Scheduler.Step(cat(predictions, 0), cat(jobs.Select(j => j.X!).ToList(), 0), segments);
            var seconds = (double)(Stopwatch.GetTimestamp() - started) / Stopwatch.Frequency;
            _metrics?.StepDuration.Record(seconds, new KeyValuePair<string, object?>("step", "denoise"));
            _metrics?.BatchSize.Record(jobs.Sum(j => j.Spec.NumImages));
            TraceStep(jobs, startedUtc, PendingCount);

            row = 0;
            foreach (var job in jobs)
            {
                var n = job.Spec.NumImages;
                var next = step.PrevSample.narrow(0, row, n).clone().DetachFromDisposeScope();
                job.X!.Dispose();
                job.X = next;
                job.Index++;
                Stepped?.Invoke(job.Spec.RequestId, job.Index, jobs.Count);
                job.Emit(new DenoiseUpdate.Step(new DenoiseStep
                {
                    Step = job.Index, Total = job.Spec.Steps, Timestep = job.Timesteps[job.Index - 1],
                    ElapsedMs = job.ElapsedMs, BatchRequests = jobs.Count,
                }));
                if (job.Spec.PreviewInterval > 0 && job.Index % job.Spec.PreviewInterval == 0 && job.Spec.PreviewKind != PreviewKind.None)
                    Preview(job, step.PredOriginalSample.narrow(0, row, n));
                row += n;
            }
        }
        catch (Exception e)
        {
            _log.LogError(e, "a denoising step failed for {Count} request(s)", jobs.Count);
            foreach (var job in jobs) Finish(job, e);
            return;
        }
        foreach (var job in jobs.Where(j => j.Index == j.Spec.Steps))
            Finish(job, null);
    }

    /// <summary>
    /// A "denoise step" span per request of the batch, inside that request's own trace (the worker thread has no
    /// ambient span): the batch's start and end, with the request's step number, the batch's make-up, and the queue
    /// (its name, this request's wait before its first step, requests still waiting behind the batch).
    /// </summary>
    private static void TraceStep(List<Job> jobs, DateTimeOffset startedUtc, int pending)
    {
        if (!UnimoGTelemetry.Source.HasListeners()) return;
        foreach (var job in jobs)
        {
            if (job.Trace == default) continue;
            using var span = UnimoGTelemetry.Source.StartActivity("denoise step", ActivityKind.Internal, job.Trace, startTime: startedUtc);
            if (span is null) continue;
            span.SetTag("unimog.request_id", job.Spec.RequestId);
            span.SetTag("unimog.step", job.Index + 1);
            span.SetTag("unimog.steps", job.Spec.Steps);
            span.SetTag("unimog.batch.requests", jobs.Count);
            span.SetTag("unimog.batch.images", jobs.Sum(j => j.Spec.NumImages));
            span.SetTag("unimog.queue", QueueTag.Value);
            span.SetTag("unimog.queue.wait_ms", job.QueueMs);
            span.SetTag("unimog.queue.pending", pending);
        }
    }

    /// <summary>A "denoise queued" span from the request's arrival to its admission into the batch.</summary>
    private void TraceQueued(Job job)
    {
        if (job.Trace == default || !UnimoGTelemetry.Source.HasListeners()) return;
        using var span = UnimoGTelemetry.Source.StartActivity("denoise queued", ActivityKind.Internal, job.Trace, startTime: job.ArrivedUtc);
        span?.SetTag("unimog.request_id", job.Spec.RequestId);
        span?.SetTag("unimog.queue", QueueTag.Value);
        span?.SetTag("unimog.queue.wait_ms", job.QueueMs);
        span?.SetTag("unimog.queue.pending", PendingCount);
    }

    private void Preview(Job job, Tensor x0)
    {
        if (job.Spec.PreviewKind == PreviewKind.Latent)
            job.Emit(new DenoiseUpdate.LatentPreview(job.Index, x0.clone().DetachFromDisposeScope()));
        else
            job.Emit(new DenoiseUpdate.LinearPreview(job.Index, _model.Preview!.Pngs(x0)));
    }

    /// <summary>Ends a request: its final latent (or the failure), then every tensor it held is freed.</summary>
    private void Finish(Job job, Exception? failure)
    {
        _active.Remove(job);
        if (failure is null)
        {
            var latent = job.X!;
            job.X = null;
            var now = Stopwatch.GetTimestamp();
            job.Emit(new DenoiseUpdate.Final(latent, new DenoiseCompleted
            {
                DenoiseMs = job.ElapsedMs, Steps = job.Spec.Steps,
                QueueMs = job.QueueMs,
            }));
            job.Complete();
        }
        else
        {
            job.Fail(failure);
        }
        job.Release();
        _activeCount = _active.Count;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        _worker.Join();
        if (_ownsModel) _model.Dispose();
    }

    /// <summary>One request and everything it holds.</summary>
    internal sealed class Job(DenoiseSpec spec, Conditioning cond, Conditioning? uncond, CancellationToken token)
    {
        private readonly CancellationTokenSource _cts = CancellationTokenSource.CreateLinkedTokenSource(token);
        private readonly Channel<DenoiseUpdate> _channel = Channel.CreateUnbounded<DenoiseUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private int _released;
        private bool _abandoned;

        public DenoiseSpec Spec { get; } = spec;
        public Conditioning Cond { get; } = cond;
        public Conditioning? Uncond { get; } = uncond;
        public CancellationToken Token => _cts.Token;
        public CancellationTokenRegistration Wake { get; set; }
        public long Arrived { get; } = Stopwatch.GetTimestamp();
        public DateTimeOffset ArrivedUtc { get; } = DateTimeOffset.UtcNow;

        /// <summary>The submitting call's span (the Denoise server span): its steps, run on the worker thread, are its children.</summary>
        public ActivityContext Trace { get; } = Activity.Current?.Context ?? default;
        public long Started { get; set; }
        public (int C, int H, int W) ShapeKey => (0, Spec.Height, Spec.Width);
        public Generator? Generator { get; set; }
        public Tensor? X { get; set; }
        public long[] Timesteps { get; set; } = [];
        public int Index { get; set; }
        public Conditioning? CondRows { get; set; }
        public Conditioning? UncondRows { get; set; }
        public ChannelReader<DenoiseUpdate> Reader => _channel.Reader;
        /// <summary>Time from arrival to admission into the batch (0 before admission).</summary>
        public double QueueMs => Started == 0 ? 0 : (double)(Started - Arrived) / Stopwatch.Frequency * 1000;
        public double ElapsedMs => (double)(Stopwatch.GetTimestamp() - Arrived) / Stopwatch.Frequency * 1000;

        public void Emit(DenoiseUpdate update)
        {
            lock (_channel)
            {
                if (_abandoned || !_channel.Writer.TryWrite(update)) DenoiseTicket.DisposeTensors(update);
            }
        }

        /// <summary>Its reader is gone: cancel (it leaves at the next step) and free what was never read.</summary>
        public void Abandon()
        {
            lock (_channel)
            {
                _abandoned = true;
                while (_channel.Reader.TryRead(out var update)) DenoiseTicket.DisposeTensors(update);
            }
            Cancel();
        }

        public void Complete() => _channel.Writer.TryComplete();

        public void Fail(Exception e) => _channel.Writer.TryComplete(e);

        /// <summary>Abandoned by its reader: leaves at the next step.</summary>
        public void Cancel()
        {
            try { _cts.Cancel(); } catch (ObjectDisposedException) { }
        }

        /// <summary>Frees every tensor of the request (once).</summary>
        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 1) return;
            Wake.Dispose();
            X?.Dispose();
            X = null;
            CondRows?.Dispose();
            UncondRows?.Dispose();
            Cond.Dispose();
            Uncond?.Dispose();
            Generator?.Dispose();
            _cts.Dispose();
        }
    }
}

/// <summary>
/// A queued request's updates. Dispose it when done reading (always): an unfinished request is cancelled and
/// leaves the batch at the next step, and tensors of updates never read are freed.
/// </summary>
public sealed class DenoiseTicket : IDisposable
{
    private readonly DenoiseBatcher.Job _job;

    internal DenoiseTicket(DenoiseBatcher.Job job) => _job = job;

    public ChannelReader<DenoiseUpdate> Updates => _job.Reader;

    public void Dispose() => _job.Abandon();

    internal static void DisposeTensors(DenoiseUpdate update)
    {
        switch (update)
        {
            case DenoiseUpdate.LatentPreview p: p.Latent.Dispose(); break;
            case DenoiseUpdate.Final f: f.Latent.Dispose(); break;
        }
    }
}
