using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using UnimoG.Client;
using UnimoG.Client.Torch;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;
using UnimoG.Engines.Telemetry;
using UnimoG.Modeling;
using UnimoG.Modeling.Sampling;
using static TorchSharp.torch;

namespace UnimoG.Engines.Inference;

/// <summary>
/// Dynamic batching of denoising requests. One worker thread steps every active request; requests with the same
/// latent size go through the U-Net together as one batch (<see cref="GuidedStep"/>: each at its own step of its own
/// scheduler run, with its own guidance scale and generator), joining at the next step after they arrive and leaving
/// after their last step. Sizes take turns by worker time (<see cref="FairShare{TKey}"/>). Conditions of different lengths are padded with a key mask, so a request gets the image it
/// would get alone (up to float rounding in the batched kernels). Admission and its bounds are the
/// <see cref="DenoiseQueue"/>'s. A cancelled request (or one whose ticket is disposed) leaves at the next step and its
/// tensors are freed.
/// </summary>
public sealed class DenoiseBatcher : IDisposable
{
    private readonly DenoiserModel _model;
    private readonly DenoiseQueue _queue;
    private readonly DenoiseTelemetry _telemetry;
    private readonly ILogger _log;
    private readonly List<DenoiseJob> _active = [];      // worker thread only
    private readonly FairShare<(int Height, int Width)> _share = new();   // worker thread only
    private readonly Thread _worker;
    private readonly bool _ownsModel;
    private volatile int _activeCount;
    private double _meanTurnSeconds = 0.1;   // worker thread writes; the retry hint reads
    private double _slotFreeSeconds = 0.1;   // until the active request nearest its end is done (an estimate)
    private int _disposed;

    /// <param name="ownsModel">Dispose the model with the batcher.</param>
    public DenoiseBatcher(DenoiserModel model, DenoiserOptions options, UnimoGMetrics? metrics = null, ILogger? log = null, bool ownsModel = true)
    {
        _model = model;
        _ownsModel = ownsModel;
        Options = options;
        _telemetry = new DenoiseTelemetry(metrics);
        _queue = new DenoiseQueue(options, _telemetry, () => TimeSpan.FromSeconds(Math.Max(0.1, Volatile.Read(ref _slotFreeSeconds))));
        _log = log ?? NullLogger.Instance;
        _worker = new Thread(Run) { IsBackground = true, Name = "denoise-batcher" };
        _worker.Start();
    }

    public DenoiserModel Model => _model;
    public DenoiserOptions Options { get; }

    /// <summary>Raised on the worker thread after each request's step (request id, 1-based step, requests in the batch): for tests and tracing.</summary>
    internal event Action<string, int, int>? Stepped;

    /// <summary>Raised when a queued or running request is cancelled (request id), on the cancelling thread: for tests.</summary>
    internal event Action<string>? Cancelling;

    /// <summary>Requests being stepped.</summary>
    public int ActiveCount => _activeCount;

    /// <summary>Requests waiting for a batch slot.</summary>
    public int PendingCount => _queue.Count;

    /// <summary>
    /// Queues a request checked by <see cref="GenerationSpec.Check"/>. Takes ownership of <paramref name="cond"/> and
    /// <paramref name="uncond"/> ([1, L, D] each, int64 key masks): they are disposed when the request ends, or now if
    /// it is refused.
    /// </summary>
    public DenoiseTicket Submit(GenerationSpec spec, Conditioning cond, Conditioning? uncond, CancellationToken cancellationToken)
    {
        var job = new DenoiseJob(spec, cond, uncond, cancellationToken);
        try
        {
            if (spec.Guided && uncond is null)
                throw new InvalidFieldException(TensorNames.UncondHiddenStates, $"guidance_scale {spec.GuidanceScale} > 1 needs the unconditional (or negative) condition");
            // Wake the worker when the request is cancelled, so it leaves promptly even while the batcher waits.
            job.Wake = job.Token.Register(() =>
            {
                Cancelling?.Invoke(spec.RequestId);
                _queue.Wake();
            });
            _queue.Add(job);
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
        while (_queue.Take(_active) is { } admitted)
        {
            foreach (var job in admitted) Start(job);
            foreach (var job in _active.Where(j => j.Token.IsCancellationRequested).ToList())
                Finish(job, new OperationCanceledException(job.Token));
            // One step of one size per turn, the size that has had the least worker time: a small request is never
            // held to the pace of a large one, and newcomers are admitted between any two steps.
            var groups = _active.GroupBy(j => j.ShapeKey).ToDictionary(g => g.Key, g => g.ToList());
            if (_share.TryNext(groups.Keys, out var size))
            {
                var started = Stopwatch.GetTimestamp();
                StepGroup(groups[size]);
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                _share.Spent(size, seconds);
                _meanTurnSeconds = 0.8 * _meanTurnSeconds + 0.2 * seconds;
                // A turn steps one size; each size gets about one turn in groups.Count.
                var nearest = _active.Count == 0 ? 0 : _active.Min(j => j.Spec.Steps - j.Index);
                Volatile.Write(ref _slotFreeSeconds, _meanTurnSeconds * groups.Count * nearest);
            }
            _activeCount = _active.Count;
        }
        var shutdown = new ObjectDisposedException(nameof(DenoiseBatcher), "the denoiser is shutting down");
        foreach (var job in _active.ToList()) Finish(job, shutdown);
        foreach (var job in _queue.TakeRemaining()) { job.Fail(shutdown); job.Release(); }
    }

    /// <summary>Seeded initial noise and the request's scheduler run, on this thread; conditions repeated per image.</summary>
    private void Start(DenoiseJob job)
    {
        try
        {
            var s = job.Spec;
            var f = _model.Folder.VaeScaleFactor;
            job.Generator = new Generator(s.Seed);
            job.Run = _model.Samplers[s.Sampler].Start(new(s.Steps, s.Eta), Samplers.From(job.Generator));
            job.X = Samplers.InitialNoise(job.Run, [s.NumImages, _model.Folder.LatentChannels, s.Height / f, s.Width / f], job.Generator, _model.Placement.Device);
            job.CondRows = s.NumImages == 1 ? null : job.Cond.RepeatRows(s.NumImages);
            job.UncondRows = s.Guided && s.NumImages > 1 ? job.Uncond!.RepeatRows(s.NumImages) : null;
            job.Started = Stopwatch.GetTimestamp();
            _active.Add(job);
            _telemetry.Admitted(job, PendingCount);
        }
        catch (Exception e)
        {
            // A schedule the model's config cannot give (e.g. DDIM's leading spacing past the last training timestep) is the request's fault.
            job.Fail(e is ArgumentOutOfRangeException && job.Run is null ? new InvalidFieldException("steps", e.Message) : e);
            job.Release();
        }
    }

    /// <summary>One <see cref="GuidedStep"/> for every request of one latent size; then each request's updates.</summary>
    private void StepGroup(List<DenoiseJob> jobs)
    {
        var started = Stopwatch.GetTimestamp();
        var startedUtc = DateTimeOffset.UtcNow;
        try
        {
            using var scope = NewDisposeScope();
            var rows = jobs.Select(j => new GuidedRows(j.Run!, j.X!, j.CondRows ?? j.Cond, j.Spec.Guided ? j.UncondRows ?? j.Uncond : null, j.Spec.GuidanceScale)).ToList();
            var steps = GuidedStep.Run(_model.Model, rows);
            _telemetry.Stepped(jobs, startedUtc, Stopwatch.GetElapsedTime(started).TotalSeconds, PendingCount);
            for (var i = 0; i < jobs.Count; i++)
            {
                var job = jobs[i];
                job.X!.Dispose();
                job.X = steps[i].PrevSample.DetachFromDisposeScope();
                Stepped?.Invoke(job.Spec.RequestId, job.Index, jobs.Count);
                job.Emit(new DenoiseUpdate.Step(new DenoiseStep
                {
                    Step = job.Index, Total = job.Spec.Steps, Timestep = (long)job.Run!.Timesteps[job.Index - 1],
                    ElapsedMs = job.ElapsedMs, BatchRequests = jobs.Count,
                }));
                var kind = job.Spec.PreviewAt(job.Index);
                if (kind != PreviewKind.None) Preview(job, kind, steps[i].PredOriginalSample);
            }
        }
        catch (Exception e)
        {
            _log.LogError(e, "a denoising step failed for {Count} request(s)", jobs.Count);
            foreach (var job in jobs) Finish(job, e);
            return;
        }
        foreach (var job in jobs.Where(j => j.Run!.Finished))
            Finish(job, null);
    }

    /// <summary>A linear preview (PNGs), or the predicted clean latent for an exact VAE decode (latent kind, or every exact_preview_interval).</summary>
    private void Preview(DenoiseJob job, PreviewKind kind, Tensor x0)
    {
        if (kind == PreviewKind.Latent)
            job.Emit(new DenoiseUpdate.LatentPreview(job.Index, x0.ToWire(TensorNames.Preview(job.Index))));
        else
            job.Emit(new DenoiseUpdate.LinearPreview(job.Index, _model.Preview!.Pngs(x0)));
    }

    /// <summary>Ends a request: its final latent (or the failure), then every tensor it held is freed.</summary>
    private void Finish(DenoiseJob job, Exception? failure)
    {
        _active.Remove(job);
        if (failure is null)
        {
            job.Emit(new DenoiseUpdate.Final(job.X!.ToWire(TensorNames.Latent), new DenoiseCompleted
            {
                DenoiseMs = job.ElapsedMs, Steps = job.Spec.Steps, QueueMs = job.QueueMs,
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
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _queue.Close();
        _worker.Join();
        if (_ownsModel) _model.Dispose();
    }
}
