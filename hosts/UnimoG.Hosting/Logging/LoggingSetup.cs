using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Json;
using UnimoG.Hosting.Options;

namespace UnimoG.Hosting.Logging;

/// <summary>Serilog for a service: console always, Seq when configured, service/request/trace ids on every event.</summary>
internal static class LoggingSetup
{
    internal const string TextTemplate =
        "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Service} {RequestId} {TraceId} {SourceContext}: {Message:lj}{NewLine}{Exception}";

    public static void AddUnimoGLogging(this WebApplicationBuilder builder, string service)
    {
        var log = UnimoGOptions.Bind<LogOptions>(builder.Services, builder.Configuration, LogOptions.Section);
        var seq = UnimoGOptions.Bind<SeqOptions>(builder.Services, builder.Configuration, SeqOptions.Section);
        builder.Logging.ClearProviders();
        // preserveStaticLogger: every host owns its logger (tests run several hosts in one process);
        // it is disposed, and so flushed to Seq, when the host's service provider is disposed.
        builder.Services.AddSerilog((_, config) => Configure(config, service, log, seq), preserveStaticLogger: true);
    }

    internal static LoggerConfiguration Configure(LoggerConfiguration config, string service, LogOptions log, SeqOptions seq)
    {
        config.MinimumLevel.Is(log.MinimumLevel)
            .Enrich.FromLogContext()
            .Enrich.With<CallContextEnricher>()
            .Enrich.WithProperty("Service", service);
        foreach (var (name, level) in log.Override)
            config.MinimumLevel.Override(name, level);
        if (log.ConsoleFormat == "json")
            config.WriteTo.Console(new JsonFormatter(renderMessage: true));
        else
            config.WriteTo.Console(new EscapingTextFormatter(TextTemplate, System.Globalization.CultureInfo.InvariantCulture));
        if (!string.IsNullOrWhiteSpace(seq.ServerUrl))
            config.WriteTo.Seq(seq.ServerUrl, seq.MinimumLevel, apiKey: string.IsNullOrEmpty(seq.ApiKey) ? null : seq.ApiKey,
                period: seq.Period);
        return config;
    }
}

/// <summary>
/// Adds <c>TraceId</c> and <c>SpanId</c> of the current activity (Serilog also sends them as CLEF <c>@tr</c>/<c>@sp</c>;
/// the properties make them visible in the console template and in queries) and, inside a gRPC call, its
/// <c>RequestId</c>, replacing ASP.NET Core's connection-based one from the hosting log scope.
/// </summary>
internal sealed class CallContextEnricher : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory factory)
    {
        if (RequestId.Current is { } id)
            logEvent.AddOrUpdateProperty(factory.CreateProperty("RequestId", id));
        if (Activity.Current is not { } activity) return;
        logEvent.AddPropertyIfAbsent(factory.CreateProperty("TraceId", activity.TraceId.ToHexString()));
        logEvent.AddPropertyIfAbsent(factory.CreateProperty("SpanId", activity.SpanId.ToHexString()));
    }
}
