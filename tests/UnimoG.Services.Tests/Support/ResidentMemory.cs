namespace UnimoG.Services.Tests.Support;

/// <summary>
/// This process's resident set: before, the peak since (the kernel's VmHWM, reset through /proc/self/clear_refs, and
/// samples every 5 ms in case it cannot be reset) and after.
/// </summary>
internal sealed class ResidentMemory : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private readonly bool _peakReset;
    private long _peak;

    public ResidentMemory()
    {
        // What earlier tests left free in the managed heap would hide growth: give it back first.
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        Before = Status("VmRSS");
        _peak = Before;
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            _peakReset = true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        _sampler = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Interlocked.Exchange(ref _peak, Math.Max(Interlocked.Read(ref _peak), Status("VmRSS")));
                await Task.Delay(5);
            }
        });
    }

    public long Before { get; }

    /// <summary>Peak and current growth over <see cref="Before"/> so far, in bytes, still sampling.</summary>
    public (long Peak, long Growth) Peek()
    {
        var now = Status("VmRSS");
        var peak = Math.Max(Math.Max(Interlocked.Read(ref _peak), now), _peakReset ? Status("VmHWM") : 0);
        return (peak - Before, now - Before);
    }

    /// <summary>Peak and final growth over <see cref="Before"/>, in bytes.</summary>
    public (long Peak, long Growth) Stop()
    {
        _stop.Cancel();
        _sampler.Wait();
        var after = Status("VmRSS");
        var peak = Math.Max(Math.Max(_peak, after), _peakReset ? Status("VmHWM") : 0);
        return (peak - Before, after - Before);
    }

    private static long Status(string key) =>
        1024 * long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(key + ":", StringComparison.Ordinal))[(key.Length + 1)..].Trim().Split(' ')[0]);

    public void Dispose()
    {
        _stop.Cancel();
        _sampler.Wait();
        _stop.Dispose();
    }
}
