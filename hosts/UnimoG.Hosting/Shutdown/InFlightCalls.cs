namespace UnimoG.Hosting.Shutdown;

/// <summary>
/// Counts the calls being served (by <see cref="InFlightInterceptor"/>) and owns the shutdown token that is
/// linked into every call's token (<see cref="CallContextExtensions.CallToken"/>).
/// </summary>
public sealed class InFlightCalls : IDisposable
{
    private readonly object gate = new();
    private readonly CancellationTokenSource shutdown = new();
    private int count;
    private bool refusing;
    private TaskCompletionSource? idle;

    public int Count
    {
        get { lock (gate) return count; }
    }

    /// <summary>Cancelled when in-flight calls outlive <c>Shutdown:Timeout</c>.</summary>
    public CancellationToken ShutdownToken => shutdown.Token;

    /// <summary>False once shutdown has begun: new work is refused so clients retry elsewhere.</summary>
    internal bool TryEnter()
    {
        lock (gate)
        {
            if (refusing) return false;
            count++;
            return true;
        }
    }

    internal void Exit()
    {
        lock (gate)
        {
            if (--count == 0) idle?.TrySetResult();
        }
    }

    internal void RefuseNewCalls()
    {
        lock (gate) refusing = true;
    }

    /// <summary>True when no call is in flight, waiting at most <paramref name="timeout"/>.</summary>
    internal async Task<bool> WaitIdleAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task wait;
        lock (gate)
        {
            if (count == 0) return true;
            idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = idle.Task;
        }
        var finished = await Task.WhenAny(wait, Task.Delay(timeout, cancellationToken));
        return finished == wait;
    }

    internal void CancelAll() => shutdown.Cancel();

    public void Dispose() => shutdown.Dispose();
}
