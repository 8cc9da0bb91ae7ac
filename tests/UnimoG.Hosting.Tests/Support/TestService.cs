using System.Net;
using System.Net.Sockets;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Hosting.Discovery;
using UnimoG.Hosting.Tests.Protos;

namespace UnimoG.Hosting.Tests.Support;

/// <summary>
/// A real service host on loopback: AddUnimoGDefaults + the test Relay service, exactly as a service's
/// Program.cs would wire it. <c>Relay:Next</c> names a service to forward Hop calls to.
/// </summary>
internal sealed class TestService : IAsyncDisposable
{
    private readonly List<GrpcChannel> channels = [];
    private bool stopped;

    private TestService(WebApplication app, int grpcPort, int metricsPort)
    {
        App = app;
        GrpcPort = grpcPort;
        MetricsPort = metricsPort;
    }

    public WebApplication App { get; }

    public int GrpcPort { get; }

    public int MetricsPort { get; }

    public string GrpcAddress => $"http://127.0.0.1:{GrpcPort}";

    public static async Task<TestService> StartAsync(string service, IDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        int grpc = FreePort(), metrics = FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Test" });
        var config = new Dictionary<string, string?>
        {
            ["Hosting:GrpcPort"] = grpc.ToString(),
            ["Hosting:MetricsPort"] = metrics.ToString(),
            ["Hosting:ListenAddress"] = "127.0.0.1",
            ["Shutdown:Timeout"] = "00:00:20",
            ["Shutdown:CancelGrace"] = "00:00:05",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        builder.Configuration.AddInMemoryCollection(config);

        builder.AddUnimoGDefaults(service);
        builder.Services.AddSingleton<Gates>();
        builder.Services.AddSingleton<Invocations>();
        if (builder.Configuration["Relay:Next"] is { Length: > 0 } next)
            builder.AddUnimoGServiceClient<Relay.RelayClient>(next);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapUnimoGDefaults();
        app.MapGrpcService<RelayService>();
        await app.StartAsync();
        return new TestService(app, grpc, metrics);
    }

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public GrpcChannel Channel()
    {
        var channel = GrpcChannel.ForAddress(GrpcAddress);
        channels.Add(channel);
        return channel;
    }

    public Relay.RelayClient Client() => new(Channel());

    public async Task<HealthCheckResponse.Types.ServingStatus> HealthAsync(string service = "")
    {
        var reply = await new Health.HealthClient(Channel()).CheckAsync(new HealthCheckRequest { Service = service });
        return reply.Status;
    }

    public async Task StopAsync()
    {
        stopped = true;
        await App.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in channels) c.Dispose();
        if (!stopped) await App.StopAsync();
        await App.DisposeAsync();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Counts service-method invocations, to prove that rejected calls did no work.</summary>
internal sealed class Invocations
{
    private int count;

    public int Count => Volatile.Read(ref count);

    public void Add() => Interlocked.Increment(ref count);
}

/// <summary>Named gates the Wait method blocks on, and signals that a call has entered.</summary>
internal sealed class Gates
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (TaskCompletionSource Entered, TaskCompletionSource Release)> gates = new();

    private (TaskCompletionSource Entered, TaskCompletionSource Release) Of(string name) =>
        gates.GetOrAdd(name, _ => (new(TaskCreationOptions.RunContinuationsAsynchronously), new(TaskCreationOptions.RunContinuationsAsynchronously)));

    public Task Entered(string name) => Of(name).Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

    public void Release(string name) => Of(name).Release.TrySetResult();

    public async Task PassAsync(string name, CancellationToken cancellationToken)
    {
        var gate = Of(name);
        gate.Entered.TrySetResult();
        await gate.Release.Task.WaitAsync(cancellationToken);
    }
}
