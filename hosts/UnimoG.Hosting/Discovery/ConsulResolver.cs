using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace UnimoG.Hosting.Discovery;

/// <summary>Resolves <c>consul:///{service}</c> to the healthy instances Consul reports.</summary>
public sealed class ConsulResolverFactory(ConsulClient consul, IOptions<ConsulOptions> consulOptions) : ResolverFactory
{
    public override string Name => "consul";

    public override Resolver Create(ResolverOptions options) =>
        new ConsulResolver(consul, options.Address.AbsolutePath.Trim('/'), consulOptions.Value.WaitTime,
            options.LoggerFactory.CreateLogger<ConsulResolver>());
}

/// <summary>
/// Keeps the channel's address list equal to Consul's passing instances with a loop of blocking queries:
/// a replica whose health check fails (or that deregisters) leaves the list as soon as Consul knows.
/// While Consul is unreachable the last good list is kept; with none yet, calls fail Unavailable.
/// </summary>
internal sealed class ConsulResolver(ConsulClient consul, string service, TimeSpan wait, ILogger<ConsulResolver> log) : Resolver
{
    private readonly CancellationTokenSource stop = new();
    private Action<ResolverResult>? listener;
    private bool haveResult;

    public override void Start(Action<ResolverResult> listener)
    {
        this.listener = listener;
        _ = Task.Run(() => LoopAsync(stop.Token));
    }

    // Blocking queries already deliver every change; a connection failure needs no extra query.
    public override void Refresh()
    {
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        ulong index = 0;
        string? last = null;
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var result = await consul.HealthyInstancesAsync(service, index, wait, ct);
                // Consul's rules: an index that goes backwards resets the loop; never block on 0.
                var unchanged = result.Index == index;
                index = result.Index < index ? 0 : Math.Max(result.Index, 1);
                backoff = TimeSpan.FromMilliseconds(250);
                var addresses = result.Instances.Select(i => new BalancerAddress(i.Address, i.Port)).ToList();
                var key = string.Join(",", addresses.Select(a => a.EndPoint.ToString()).Order(StringComparer.Ordinal));
                if (key != last)
                {
                    log.LogInformation("Consul: {Service} has {Count} healthy instance(s): {Addresses}", service, addresses.Count, key);
                    last = key;
                    haveResult = true;
                    listener!(ResolverResult.ForResult(addresses));
                }
                if (unchanged) await Task.Delay(TimeSpan.FromMilliseconds(100), ct); // a wait that timed out; no hot loop
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning("Consul query for {Service} failed (retrying in {Delay}): {Error}", service, backoff, e.Message);
                if (!haveResult)
                    listener!(ResolverResult.ForFailure(new Status(StatusCode.Unavailable,
                        $"Cannot resolve consul:///{service}: {e.Message}")));
                try { await Task.Delay(backoff, ct); } catch (OperationCanceledException) { return; }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                index = 0;
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            stop.Cancel();
            stop.Dispose();
        }
        base.Dispose(disposing);
    }
}
