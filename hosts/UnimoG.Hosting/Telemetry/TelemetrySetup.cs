using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using UnimoG.Hosting.Options;
using UnimoG.Engines.Telemetry;

namespace UnimoG.Engines.Telemetry;

internal static class TelemetrySetup
{
    public static void AddUnimoGTelemetry(this WebApplicationBuilder builder, string service)
    {
        var otlp = UnimoGOptions.Bind<OtlpOptions>(builder.Services, builder.Configuration, OtlpOptions.Section);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<UnimoGMetrics>();
        var useOtlp = !string.IsNullOrWhiteSpace(otlp.Endpoint);
        void Exporter(OtlpExporterOptions o)
        {
            o.Endpoint = new Uri(otlp.Endpoint!);
            o.Protocol = otlp.Protocol;
            if (!string.IsNullOrWhiteSpace(otlp.Headers)) o.Headers = otlp.Headers;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(service, serviceNamespace: "unimog", serviceInstanceId: Environment.MachineName))
            .WithTracing(t =>
            {
                t.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(otlp.SampleRatio)))
                    .AddSource(UnimoGTelemetry.SourceName)
                    // Scrapes, HTTP health checks and gRPC health probes are not worth a trace each.
                    .AddAspNetCoreInstrumentation(o => o.Filter = IsWorthTracing)
                    .AddGrpcClientInstrumentation();
                if (useOtlp) t.AddOtlpExporter(Exporter);
            })
            .WithMetrics(m =>
            {
                m.AddMeter(UnimoGMetrics.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                if (useOtlp) m.AddOtlpExporter(Exporter);
            });
    }

    private static bool IsWorthTracing(HttpContext context) =>
        !context.Request.Path.StartsWithSegments("/metrics")
        && !context.Request.Path.StartsWithSegments("/healthz")
        && !context.Request.Path.StartsWithSegments("/grpc.health.v1.Health");
}
