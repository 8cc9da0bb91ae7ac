using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using UnimoG.Hosting.Tests.Protos;
using UnimoG.Hosting.Tests.Support;

namespace UnimoG.Hosting.Tests;

public class TracingTests
{
    /// <summary>
    /// gateway -> encoder -> denoiser, three hosts chained through AddUnimoGServiceClient over real loopback
    /// channels: one trace, each server span the child of the caller's client span (received as a W3C
    /// traceparent header, so its parent is remote), and one request id along the whole chain.
    /// </summary>
    [Fact]
    public async Task One_trace_spans_chained_services_with_parent_child_links()
    {
        var spans = new List<Activity>();
        await using var denoiser = await TestService.StartAsync("denoiser");
        await using var encoder = await TestService.StartAsync("encoder", new Dictionary<string, string?>
        {
            ["Relay:Next"] = "denoiser",
            ["Services:denoiser:Address"] = denoiser.GrpcAddress,
        });
        // Activity listeners are process-wide, so one host's exporter sees every host's spans (as a collector would).
        await using var gateway = await TestService.StartAsync("gateway", new Dictionary<string, string?>
        {
            ["Relay:Next"] = "encoder",
            ["Services:encoder:Address"] = encoder.GrpcAddress,
        }, b => b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));

        var reply = await gateway.Client().HopAsync(new HopRequest { Payload = "trace me" });
        await gateway.StopAsync(); // flushes the exporter

        Assert.Equal(["gateway", "encoder", "denoiser"], reply.Path);
        Assert.Single(reply.TraceIds.Distinct());
        Assert.Single(reply.RequestIds.Distinct());
        var traceId = reply.TraceIds[0];

        var trace = spans.Where(s => s.TraceId.ToHexString() == traceId).DistinctBy(s => s.SpanId).ToList();
        var servers = trace.Where(s => s.Kind == ActivityKind.Server && s.DisplayName.Contains("Relay/Hop")).ToList();
        var clients = trace.Where(s => s.Kind == ActivityKind.Client && s.DisplayName.Contains("Relay/Hop")).ToList();
        Assert.Equal(3, servers.Count);
        // The test's own call is instrumented too (listeners are process-wide): three client spans.
        Assert.Equal(3, clients.Count);
        Assert.Equal(3, trace.Count(s => s.Source.Name == "UnimoG" && s.DisplayName == "relay step"));

        // Order the server spans by the replica that served them.
        Activity ServerOf(string port) => Assert.Single(servers, s => Equals(s.GetTagItem("server.port"), int.Parse(port)));
        var (g, e, d) = (ServerOf(Port(gateway)), ServerOf(Port(encoder)), ServerOf(Port(denoiser)));

        var root = Assert.Single(trace, s => s.ParentSpanId == default);
        Assert.Equal(ActivityKind.Client, root.Kind); // the test's call started the trace
        Assert.Equal(root.SpanId, g.ParentSpanId);
        foreach (var (caller, callee) in new[] { (g, e), (e, d) })
        {
            var client = Assert.Single(clients, c => NearestServer(c, trace) == caller);
            Assert.Equal(client.SpanId, callee.ParentSpanId);
        }
        // Each server span's parent came over the wire, as a W3C traceparent header.
        Assert.All(servers, s => Assert.True(s.HasRemoteParent));
    }

    private static string Port(TestService s) => s.GrpcPort.ToString();

    /// <summary>The closest server span above <paramref name="span"/>: the call it was made for.</summary>
    private static Activity? NearestServer(Activity span, List<Activity> trace)
    {
        for (var parent = trace.FirstOrDefault(s => s.SpanId == span.ParentSpanId); parent is not null;
             parent = trace.FirstOrDefault(s => s.SpanId == parent.ParentSpanId))
            if (parent.Kind == ActivityKind.Server) return parent;
        return null;
    }
}
