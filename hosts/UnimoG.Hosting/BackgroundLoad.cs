using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace UnimoG.Hosting;

/// <summary>
/// Something slow to make (model weights, ONNX sessions), made once in the background when the host starts: gRPC
/// health stays NOT_SERVING (a <see cref="Readiness"/> gate) until it exists. Calls before that answer Unavailable
/// ("still loading"); if making it failed they answer FailedPrecondition with the reason, and health stays
/// NOT_SERVING with it. Register it as a singleton and as a hosted service.
/// </summary>
public class BackgroundLoad<T> : IHostedService, IDisposable where T : class, IDisposable
{
    private readonly string _gate;
    private readonly Func<T> _load;
    private readonly Func<T, string?>? _warning;
    private readonly Func<Exception, string> _describe;
    private readonly Readiness _readiness;
    private readonly ILogger _log;
    private readonly TaskCompletionSource<T> _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _value;
    private string? _failure;

    /// <param name="gate">The readiness gate's name, e.g. "encoder model" (one per thing loaded in a host).</param>
    /// <param name="warning">What to warn about once loaded (an untrained model), if anything.</param>
    /// <param name="describeFailure">The reason callers and health report when loading failed (default: the exception's message).</param>
    public BackgroundLoad(string gate, Func<T> load, Readiness readiness, ILogger log, Func<T, string?>? warning = null,
        Func<Exception, string>? describeFailure = null)
    {
        _gate = gate;
        _load = load;
        _warning = warning;
        _describe = describeFailure ?? (e => $"the {gate} failed to load: {e.Message}");
        _readiness = readiness;
        _log = log;
        readiness.Require(gate, $"loading the {gate}");
    }

    /// <summary>Completes when loaded; faults when loading failed.</summary>
    public Task<T> Loaded => _loaded.Task;

    /// <summary>The loaded value, or the status a call must answer while there is none.</summary>
    public T Value => _value ?? throw new RpcException(_failure is { } why
        ? new Status(StatusCode.FailedPrecondition, why)
        : new Status(StatusCode.Unavailable, $"the {_gate} is still loading; retry shortly"));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(() =>
        {
            try
            {
                var started = DateTime.UtcNow;
                var value = _load();
                _value = value;
                _readiness.Complete(_gate);
                _log.LogInformation("{Gate} loaded in {Seconds:0.0} s", _gate, (DateTime.UtcNow - started).TotalSeconds);
                if (_warning?.Invoke(value) is { } warning) _log.LogWarning("{Warning}", warning);
                _loaded.TrySetResult(value);
            }
            catch (Exception e)
            {
                _failure = _describe(e);
                _readiness.Require(_gate, _failure);
                _log.LogError(e, "{Gate} failed to load: {Reason}", _gate, _failure);
                _loaded.TrySetException(e);
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _value?.Dispose();
        GC.SuppressFinalize(this);
    }
}
