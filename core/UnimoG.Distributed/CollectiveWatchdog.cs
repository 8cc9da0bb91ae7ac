using System.Diagnostics;

namespace UnimoG.Distributed;

/// <summary>
/// Bounds how long a collective may wait. A rank that died or hangs leaves the others blocked in their next
/// collective, where no MPI error may ever come (TCP peers can hang forever); a thread of ours watches the one
/// collective in flight and calls <c>onTimeout</c> (which aborts the job) once it has waited longer than its limit.
/// The polling interval bounds the lateness: the job ends within timeout + poll.
/// </summary>
public sealed class CollectiveWatchdog : IDisposable
{
    private readonly Action<string, TimeSpan> _onTimeout;
    private readonly TimeSpan _poll;
    private readonly Thread _thread;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private string? _what;
    private long _since;
    private TimeSpan _limit;
    private bool _fired;

    public CollectiveWatchdog(Action<string, TimeSpan> onTimeout, TimeSpan? poll = null)
    {
        _onTimeout = onTimeout;
        _poll = poll ?? TimeSpan.FromSeconds(1);
        _thread = new Thread(Watch) { IsBackground = true, Name = "collective watchdog" };
        _thread.Start();
    }

    /// <summary>Marks a collective as in flight until the scope is disposed.</summary>
    public Scope Enter(string what, TimeSpan limit)
    {
        lock (_lock)
        {
            _what = what;
            _limit = limit;
            _since = Stopwatch.GetTimestamp();
        }
        return new Scope(this);
    }

    private void Exit()
    {
        lock (_lock) _what = null;
    }

    private void Watch()
    {
        while (!_stop.Token.WaitHandle.WaitOne(_poll))
        {
            string? what;
            TimeSpan waited;
            lock (_lock)
            {
                what = _what;
                waited = Stopwatch.GetElapsedTime(_since);
                if (what is null || waited <= _limit || _fired) continue;
                _fired = true;
            }
            _onTimeout(what, waited);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }

    public readonly struct Scope(CollectiveWatchdog owner) : IDisposable
    {
        public void Dispose() => owner.Exit();
    }
}
