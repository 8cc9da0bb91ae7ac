using System.Diagnostics;
using UnimoG.Distributed;

namespace UnimoG.Distributed.Tests;

public class CollectiveWatchdogTests
{
    [Fact]
    public void A_collective_that_waits_past_its_limit_fires_once_within_limit_plus_poll()
    {
        using var fired = new ManualResetEventSlim();
        var calls = 0;
        string? what = null;
        using var watchdog = new CollectiveWatchdog((w, _) => { what = w; Interlocked.Increment(ref calls); fired.Set(); }, TimeSpan.FromMilliseconds(20));
        var clock = Stopwatch.StartNew();
        using (watchdog.Enter("gradient bucket 1/3", TimeSpan.FromMilliseconds(200)))
        {
            Assert.True(fired.Wait(TimeSpan.FromSeconds(10)));
            Thread.Sleep(100);
        }
        Assert.InRange(clock.Elapsed.TotalMilliseconds, 200, 5000);
        Assert.Equal("gradient bucket 1/3", what);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void Collectives_that_end_in_time_never_fire()
    {
        var calls = 0;
        using (var watchdog = new CollectiveWatchdog((_, _) => Interlocked.Increment(ref calls), TimeSpan.FromMilliseconds(10)))
        {
            for (var i = 0; i < 20; i++)
                using (watchdog.Enter("step metrics", TimeSpan.FromMilliseconds(300)))
                    Thread.Sleep(10);
            Thread.Sleep(400);   // nothing in flight: idle time is not a wait
        }
        Assert.Equal(0, calls);
    }
}
