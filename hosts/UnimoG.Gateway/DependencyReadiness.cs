using Grpc.Core;
using Grpc.Health.V1;
using UnimoG.Hosting;
using UnimoG.Hosting.Discovery;

namespace UnimoG.Gateway;

/// <summary>
/// The gateway is ready only while each backend it calls over the network answers: every
/// <see cref="Interval"/> it asks the encoder, denoiser and VAE channels for gRPC health (one replica, picked by the
/// channel's balancer, so "not serving" means none of the resolved replicas is), and holds a readiness gate per
/// service that fails. Kubernetes and Consul then route around a gateway whose backends are gone.
/// </summary>
public sealed class DependencyReadiness(IReadOnlyList<string> services, ServiceChannels channels, Readiness readiness,
    ILogger<DependencyReadiness> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private static string Gate(string service) => $"backend {service}";

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var s in services) readiness.Require(Gate(s), $"the {s} has not answered yet");
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var down = new Dictionary<string, string>();
        var health = services.ToDictionary(s => s, s => new Health.HealthClient(channels.Invoker(s)));
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var service in services)
            {
                var why = await ProbeAsync(health[service], stoppingToken);
                if (why is null)
                {
                    readiness.Complete(Gate(service));
                    if (down.Remove(service)) log.LogInformation("the {Service} answers again", service);
                }
                else
                {
                    readiness.Require(Gate(service), $"no {service} replica is serving ({why})");
                    if (!down.TryGetValue(service, out var last) || last != why) log.LogWarning("no {Service} replica is serving: {Reason}", service, why);
                    down[service] = why;
                }
            }
            try { await Task.Delay(Interval, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Null when the service says SERVING, else why not (a status, not the exception chain).</summary>
    private static async Task<string?> ProbeAsync(Health.HealthClient health, CancellationToken ct)
    {
        try
        {
            var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + Interval, cancellationToken: ct);
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving ? null : reply.Status.ToString();
        }
        catch (RpcException e) when (!ct.IsCancellationRequested)
        {
            return e.StatusCode.ToString();
        }
    }
}
