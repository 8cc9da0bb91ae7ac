using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using UnimoG.Engines.Telemetry;
using UnimoG.Services.Tests.Support;

namespace UnimoG.Services.Tests;

/// <summary>
/// Traces and metrics of the real services: gateway, encoder, denoiser and VAE as four hosts on loopback (the tiny
/// model of `unimog models init-mini`), one generation, spans caught by OpenTelemetry's in-memory exporter and
/// measurements by a MeterListener.
/// </summary>
public sealed class TelemetryTests
{
    /// <summary>The in-memory exporter appends from whichever thread ends a span: a list that takes that.</summary>
    private sealed class SpanList : Collection<Activity>
    {
        protected override void InsertItem(int index, Activity item)
        {
            lock (this) base.InsertItem(Count, item);
        }

        public List<Activity> Snapshot()
        {
            lock (this) return [.. this];
        }
    }

    private sealed record Measured(IMeterFactory? Host, string Instrument, double Value, Dictionary<string, object?> Tags);

    [Fact]
    public async Task One_generation_is_one_trace_across_four_services_with_metrics_from_each()
    {
        var spans = new SpanList();
        var measured = new ConcurrentQueue<Measured>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == UnimoGMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        void Record<T>(Instrument i, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state) where T : struct =>
            measured.Enqueue(new Measured(i.Meter.Scope as IMeterFactory, i.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture),
                tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
        listener.SetMeasurementEventCallback<long>(Record);
        listener.SetMeasurementEventCallback<int>(Record);
        listener.SetMeasurementEventCallback<double>(Record);
        listener.Start();

        // Activity listeners are process-wide: the gateway's exporter sees every host's spans, as a collector would.
        await using var cluster = await Cluster.StartAsync(configure: (role, b) =>
        {
            if (role == "gateway") b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
        });
        IMeterFactory Factory(Microsoft.AspNetCore.Builder.WebApplication app) => app.Services.GetRequiredService<IMeterFactory>();
        var (gatewayMeters, encoderMeters, denoiserMeters, vaeMeters) = (Factory(cluster.Gateway), Factory(cluster.Encoder), Factory(cluster.Denoiser), Factory(cluster.Vae));
        measured.Clear(); // what start-up (model loads, the gateway's readiness calls) recorded

        const int steps = 3;
        var request = GenerationTests.Request(steps: steps, seed: 5);
        request.GuidanceScale = 4; // guided: the encoder is called for the prompt and for the unconditional prompt
        var result = await cluster.Client().GenerateImagesAsync(request);
        Assert.Single(result.Images);

        // ---- the trace
        bool IsServer(Activity s, string method) => s.Kind == ActivityKind.Server && s.DisplayName.EndsWith(method, StringComparison.Ordinal);
        await GenerationTests.WaitUntil(() => spans.Snapshot().Any(s => IsServer(s, "unimog.v1.Gateway/Generate")));
        var gateway = Assert.Single(spans.Snapshot(), s => IsServer(s, "unimog.v1.Gateway/Generate"));
        var trace = spans.Snapshot().Where(s => s.TraceId == gateway.TraceId).ToList();
        var byId = trace.ToDictionary(s => s.SpanId);
        Activity? Parent(Activity s) => byId.GetValueOrDefault(s.ParentSpanId);
        bool Below(Activity s, Activity ancestor)
        {
            for (var p = Parent(s); p is not null; p = Parent(p))
                if (p == ancestor) return true;
            return false;
        }
        // The server span closest above a span: the call it was made for.
        Activity? Server(Activity s)
        {
            for (var p = Parent(s); p is not null; p = Parent(p))
                if (p.Kind == ActivityKind.Server) return p;
            return null;
        }

        var encoders = trace.Where(s => IsServer(s, "unimog.v1.Encoder/Encode")).ToList();
        var denoiser = Assert.Single(trace, s => IsServer(s, "unimog.v1.Denoiser/Denoise"));
        var vae = Assert.Single(trace, s => IsServer(s, "unimog.v1.Vae/Decode"));
        Assert.Equal(2, encoders.Count);
        // Each served by its own host (the server span's port), each below the gateway's span through a gRPC client
        // span of the gateway's call, its parent received over the wire (W3C traceparent).
        foreach (var (span, address) in encoders.Select(e => (e, cluster.EncoderAddress)).Append((denoiser, cluster.DenoiserAddress)).Append((vae, cluster.VaeAddress)))
        {
            Assert.Equal(Cluster.Port(address), span.GetTagItem("server.port"));
            Assert.True(span.HasRemoteParent, $"{span.DisplayName}: parent not from the wire");
            var client = Parent(span);
            Assert.NotNull(client);
            Assert.Equal(ActivityKind.Client, client.Kind);
            Assert.Same(gateway, Server(client));
            Assert.True(Below(span, gateway));
        }
        Assert.Equal(Cluster.Port(cluster.GatewayAddress), gateway.GetTagItem("server.port"));
        // The gateway's stages, and each service's own work inside its server span.
        var encodeStage = Assert.Single(trace, s => s.DisplayName == "encode stage");
        Assert.Same(gateway, Parent(encodeStage));
        Assert.All(encoders, e => Assert.Same(encodeStage, Parent(Parent(e)!)));
        Assert.Same(Parent(Parent(vae)!), Assert.Single(trace, s => s.DisplayName == "decode stage"));
        var encodes = trace.Where(s => s.DisplayName == "encode" && s.Source.Name == UnimoGTelemetry.SourceName).ToList();
        Assert.Equal(encoders.OrderBy(e => e.SpanId.ToHexString()), encodes.Select(Server).OrderBy(e => e!.SpanId.ToHexString()));
        Assert.Same(vae, Server(Assert.Single(trace, s => s.DisplayName == "vae decode")));

        // The batcher's spans: parented on the Denoise server span (from the worker thread), with queue and step tags.
        var queued = Assert.Single(trace, s => s.DisplayName == "denoise queued");
        Assert.Same(denoiser, Parent(queued));
        Assert.Equal("denoiser", queued.GetTagItem("unimog.queue"));
        var stepSpans = trace.Where(s => s.DisplayName == "denoise step").OrderBy(s => (int)s.GetTagItem("unimog.step")!).ToList();
        Assert.Equal(Enumerable.Range(1, steps), stepSpans.Select(s => (int)s.GetTagItem("unimog.step")!));
        Assert.All(stepSpans, s =>
        {
            Assert.Same(denoiser, Parent(s));
            Assert.Equal(steps, s.GetTagItem("unimog.steps"));
            Assert.Equal("denoiser", s.GetTagItem("unimog.queue"));
            Assert.Equal(queued.GetTagItem("unimog.queue.wait_ms"), s.GetTagItem("unimog.queue.wait_ms"));
            Assert.InRange((double)s.GetTagItem("unimog.queue.wait_ms")!, 0, 60_000);
            Assert.Equal(0, s.GetTagItem("unimog.queue.pending"));
            Assert.Equal((1, 1), ((int)s.GetTagItem("unimog.batch.requests")!, (int)s.GetTagItem("unimog.batch.images")!));
            Assert.True(s.StartTimeUtc >= queued.StartTimeUtc + queued.Duration - TimeSpan.FromMilliseconds(1), "a step starts after the request left the queue");
        });
        Assert.Equal(result.Accepted.RequestId, stepSpans[0].GetTagItem("unimog.request_id"));

        // ---- the metrics, attributed to hosts by their meter factories
        await GenerationTests.WaitUntil(() => measured.Count(m => m.Instrument == "unimog.requests.active" && m.Value < 0) >= 5);
        List<Measured> Of(IMeterFactory host, string instrument) => measured.Where(m => m.Host == host && m.Instrument == instrument).ToList();
        List<double> Steps(IMeterFactory host, string step) => Of(host, "unimog.step.duration").Where(m => Equals(m.Tags["step"], step)).Select(m => m.Value).ToList();
        Assert.Equal(2, Steps(encoderMeters, "encode").Count);
        Assert.Equal(steps, Steps(denoiserMeters, "denoise").Count);
        Assert.Single(Steps(vaeMeters, "vae decode"));
        Assert.All(Steps(denoiserMeters, "denoise").Concat(Steps(encoderMeters, "encode")), s => Assert.True(s > 0));
        Assert.Equal(Enumerable.Repeat(1.0, steps), Of(denoiserMeters, "unimog.batch.size").Select(m => m.Value));
        // Queue depth: each queue entered and left, by name.
        foreach (var (host, queue, entries) in new[] { (encoderMeters, "encoder", 2), (denoiserMeters, "denoiser", 1), (vaeMeters, "vae", 1) })
        {
            var depth = Of(host, "unimog.queue.depth").Where(m => Equals(m.Tags["queue"], queue)).ToList();
            Assert.Equal(entries, depth.Count(m => m.Value == 1));
            Assert.Equal(0, depth.Sum(m => m.Value));
        }
        // Active requests: one call of each method went up and came down again in its host.
        foreach (var (host, method, calls) in new[]
                 {
                     (gatewayMeters, "/unimog.v1.Gateway/Generate", 1), (encoderMeters, "/unimog.v1.Encoder/Encode", 2),
                     (denoiserMeters, "/unimog.v1.Denoiser/Denoise", 1), (vaeMeters, "/unimog.v1.Vae/Decode", 1),
                 })
        {
            var active = Of(host, "unimog.requests.active").Where(m => Equals(m.Tags["grpc.method"], method)).ToList();
            Assert.Equal(calls, active.Count(m => m.Value == 1));
            Assert.Equal(0, active.Sum(m => m.Value));
        }
        Assert.Equal(1, Of(gatewayMeters, "unimog.images.served").Sum(m => m.Value));
        Assert.Equal(1, Of(vaeMeters, "unimog.images.served").Sum(m => m.Value));
        Assert.Equal(2, Of(encoderMeters, "unimog.cache.hits").Count + Of(encoderMeters, "unimog.cache.misses").Count);
        Assert.DoesNotContain(measured, m => m.Instrument == "unimog.rpc.errors");
    }
}
