using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UnimoG.Hosting.Options;
using UnimoG.Hosting.Shutdown;

namespace UnimoG.Hosting.Discovery;

/// <summary>
/// Registers this replica in Consul once the server listens (with a gRPC health check on its gRPC port) and
/// deregisters it the moment shutdown begins, so callers stop picking it before it stops answering.
/// </summary>
internal sealed class ConsulServiceRegistration(
    ConsulClient consul,
    UnimoGService service,
    IOptions<ConsulOptions> consulOptions,
    IOptions<HostingOptions> hostingOptions,
    IOptions<TlsOptions> tlsOptions,
    ILogger<ConsulServiceRegistration> log) : IHostedLifecycleService, IDrainParticipant
{
    private readonly CancellationTokenSource stopping = new();
    private Task retrying = Task.CompletedTask;
    private int registered; // 0 no, 1 yes, 2 deregistered

    internal ConsulRegistration Registration { get; } = Build(service, consulOptions.Value, hostingOptions.Value, tlsOptions.Value);

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        if (await TryRegisterAsync(cancellationToken)) return;
        // Consul may start after us (compose, k8s): keep trying in the background rather than fail the service.
        retrying = Task.Run(async () =>
        {
            for (var delay = TimeSpan.FromSeconds(1); !stopping.IsCancellationRequested; delay = Min(delay * 2, TimeSpan.FromSeconds(30)))
            {
                await Task.Delay(delay, stopping.Token).ConfigureAwait(false);
                if (await TryRegisterAsync(stopping.Token)) return;
            }
        });
    }

    private async Task<bool> TryRegisterAsync(CancellationToken cancellationToken)
    {
        try
        {
            await consul.RegisterAsync(Registration, cancellationToken);
            if (Interlocked.CompareExchange(ref registered, 1, 0) == 0)
                log.LogInformation("Registered {ServiceId} in Consul at {Address}:{Port}", Registration.Id, Registration.Address, Registration.Port);
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            log.LogWarning("Consul registration of {ServiceId} failed, will retry: {Error}", Registration.Id, e.Message);
            return false;
        }
    }

    public async Task OnDrainAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        try { await retrying; } catch (OperationCanceledException) { }
        if (Interlocked.Exchange(ref registered, 2) != 1) return;
        try
        {
            await consul.DeregisterAsync(Registration.Id, cancellationToken);
            log.LogInformation("Deregistered {ServiceId} from Consul", Registration.Id);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Consul will drop us anyway once our check is critical for DeregisterCriticalServiceAfter.
            log.LogWarning("Consul deregistration of {ServiceId} failed: {Error}", Registration.Id, e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => OnDrainAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static ConsulRegistration Build(UnimoGService service, ConsulOptions c, HostingOptions h, TlsOptions tls)
    {
        var address = string.IsNullOrWhiteSpace(c.ServiceAddress) ? DefaultAddress() : c.ServiceAddress;
        var id = string.IsNullOrWhiteSpace(c.ServiceId) ? $"{service.Name}-{Dns.GetHostName()}-{h.GrpcPort}" : c.ServiceId;
        var check = new ConsulCheck($"{address}:{h.GrpcPort}", tls.Enabled, ConsulCheck.Duration(c.CheckInterval),
            ConsulCheck.Duration(c.CheckTimeout), ConsulCheck.Duration(c.DeregisterCriticalServiceAfter));
        return new ConsulRegistration(id, service.Name, address, h.GrpcPort, ["unimog", "grpc", .. c.Tags], check);
    }

    /// <summary>The first IPv4 address of an interface that is up and not loopback (a container's own IP).</summary>
    private static string DefaultAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)?.ToString()
        ?? Dns.GetHostName();

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
