using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using UnimoG.Hosting.Discovery;
using UnimoG.Hosting.Interceptors;
using UnimoG.Hosting.Logging;
using UnimoG.Hosting.Options;
using UnimoG.Hosting.Security;
using UnimoG.Hosting.Shutdown;
using UnimoG.Engines.Telemetry;

namespace UnimoG.Hosting;

/// <summary>This host's service name ("encoder", "gateway", ...), as registered in discovery and telemetry.</summary>
public sealed record UnimoGService(string Name);

/// <summary>
/// The hosting defaults every UNIMO-G gRPC service uses:
/// <code>
/// var b = WebApplication.CreateBuilder(args);
/// b.AddUnimoGDefaults("encoder");
/// b.Services.AddSingleton&lt;EncoderModel&gt;();
/// var app = b.Build();
/// app.MapUnimoGDefaults();
/// app.MapGrpcService&lt;EncoderService&gt;();
/// app.Run();
/// </code>
/// </summary>
public static class UnimoGHosting
{
    /// <summary>
    /// Kestrel endpoints, Serilog (console, Seq), OpenTelemetry (traces, metrics, Prometheus, OTLP), gRPC with
    /// the request-id, error-metrics and in-flight interceptors, health and reflection, graceful shutdown,
    /// and Consul registration when <c>Consul:Address</c> is set. Options are validated here and at start.
    /// </summary>
    public static WebApplicationBuilder AddUnimoGDefaults(this WebApplicationBuilder builder, string service)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        var services = builder.Services;
        var hosting = UnimoGOptions.Bind<HostingOptions>(services, builder.Configuration, HostingOptions.Section);
        var shutdown = UnimoGOptions.Bind<ShutdownOptions>(services, builder.Configuration, ShutdownOptions.Section);
        var tls = UnimoGOptions.Bind<TlsOptions>(services, builder.Configuration, TlsOptions.Section);
        services.AddSingleton(new UnimoGService(service));

        builder.ConfigureUnimoGKestrel(hosting, tls);
        builder.AddUnimoGLogging(service);
        builder.AddUnimoGTelemetry(service);

        // Interceptors run in this order, outermost first; AddUnimoGAuth appends the auth interceptor last.
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = hosting.MaxReceiveMessageBytes;
            o.MaxSendMessageSize = hosting.MaxSendMessageBytes;
            o.Interceptors.Add<RequestIdInterceptor>();
            o.Interceptors.Add<ErrorMetricsInterceptor>();
            o.Interceptors.Add<InFlightInterceptor>();
        });
        MalformedMessages.AddGuardedBinding(services);
        builder.AddUnimoGAuthIfConfigured();   // every role: the auth interceptor follows the three above
        services.AddGrpcReflection();
        services.AddSingleton<Readiness>();
        services.AddGrpcHealthChecks(o =>
        {
            o.Services.Clear();
            o.Services.Map("", _ => true);          // readiness: model loaded and not draining
            o.Services.Map("liveness", c => c.Tags.Contains("live")); // liveness: the process answers at all
        })
            .AddCheck<ReadinessHealthCheck>(ReadinessHealthCheck.Name)
            .AddCheck("alive", () => HealthCheckResult.Healthy(), tags: ["live"]);

        services.AddSingleton<InFlightCalls>();
        services.AddHostedService<GracefulShutdown>();
        // The host must outlast our drain budget, or it aborts connections first.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdown.Total + TimeSpan.FromSeconds(5));

        builder.AddUnimoGDiscovery();
        return builder;
    }

    /// <summary>gRPC health and reflection on the gRPC port; <c>/metrics</c> and <c>/healthz</c> on the metrics port.</summary>
    public static WebApplication MapUnimoGDefaults(this WebApplication app)
    {
        var hosting = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HostingOptions>>().Value;
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        var metricsHost = $"*:{hosting.MetricsPort}";
        app.MapPrometheusScrapingEndpoint("/metrics").RequireHost(metricsHost);
        app.MapHealthChecks("/healthz").RequireHost(metricsHost);
        return app;
    }

    internal static bool HasDefaults(this IServiceCollection services) =>
        services.Any(d => d.ServiceType == typeof(UnimoGService));
}
