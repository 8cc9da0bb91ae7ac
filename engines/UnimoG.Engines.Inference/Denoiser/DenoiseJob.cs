using System.Diagnostics;
using System.Threading.Channels;
using UnimoG.Client;
using UnimoG.Modeling;
using UnimoG.Modeling.Schedulers;
using static TorchSharp.torch;

namespace UnimoG.Engines.Inference;

/// <summary>One denoising request and everything it holds, from submission to its last update.</summary>
internal sealed class DenoiseJob(GenerationSpec spec, Conditioning cond, Conditioning? uncond, CancellationToken token)
{
    private readonly CancellationTokenSource _cts = CancellationTokenSource.CreateLinkedTokenSource(token);
    private readonly Channel<DenoiseUpdate> _channel = Channel.CreateUnbounded<DenoiseUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private int _released;
    private bool _abandoned;

    public GenerationSpec Spec { get; } = spec;
    public Conditioning Cond { get; } = cond;
    public Conditioning? Uncond { get; } = uncond;
    public CancellationToken Token => _cts.Token;
    public CancellationTokenRegistration Wake { get; set; }
    public long Arrived { get; } = Stopwatch.GetTimestamp();
    public DateTimeOffset ArrivedUtc { get; } = DateTimeOffset.UtcNow;

    /// <summary>The submitting call's span (the Denoise server span): its steps, run on the worker thread, are its children.</summary>
    public ActivityContext Trace { get; } = Activity.Current?.Context ?? default;

    /// <summary>Requests of one latent size share a U-Net batch.</summary>
    public (int Height, int Width) ShapeKey => (Spec.Height, Spec.Width);
    public long Started { get; set; }

    /// <summary>The queue position last told to the caller (-1: none yet); the worker thread's.</summary>
    public int ToldPosition { get; set; } = -1;
    public Generator? Generator { get; set; }
    public SchedulerRun? Run { get; set; }
    public Tensor? X { get; set; }

    /// <summary>The conditions repeated per image (num_images > 1), made once when the job starts.</summary>
    public Conditioning? CondRows { get; set; }
    public Conditioning? UncondRows { get; set; }

    public int Index => Run?.StepIndex ?? 0;
    public ChannelReader<DenoiseUpdate> Reader => _channel.Reader;

    /// <summary>Time from arrival to admission into the batch (0 before admission).</summary>
    public double QueueMs => Started == 0 ? 0 : (double)(Started - Arrived) / Stopwatch.Frequency * 1000;
    public double ElapsedMs => (double)(Stopwatch.GetTimestamp() - Arrived) / Stopwatch.Frequency * 1000;

    public void Emit(DenoiseUpdate update)
    {
        lock (_channel)
        {
            if (_abandoned || !_channel.Writer.TryWrite(update)) DenoiseUpdate.Release(update);
        }
    }

    /// <summary>Its reader is gone: cancel (it leaves at the next step) and free what was never read.</summary>
    public void Abandon()
    {
        lock (_channel)
        {
            _abandoned = true;
            while (_channel.Reader.TryRead(out var update)) DenoiseUpdate.Release(update);
        }
        Cancel();
    }

    public void Complete() => _channel.Writer.TryComplete();

    public void Fail(Exception e) => _channel.Writer.TryComplete(e);

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
        Run?.Dispose();
        Generator?.Dispose();
        _cts.Dispose();
    }
}
