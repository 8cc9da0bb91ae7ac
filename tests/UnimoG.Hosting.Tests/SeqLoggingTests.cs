using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using UnimoG.Hosting.Tests.Protos;
using UnimoG.Hosting.Tests.Support;

namespace UnimoG.Hosting.Tests;

public class SeqLoggingTests
{
    [Fact]
    public async Task Events_reach_a_seq_receiver_with_the_API_key_request_id_and_trace_id()
    {
        await using var seq = await FakeSeq.StartAsync();
        var service = await TestService.StartAsync("seq-test", new Dictionary<string, string?>
        {
            ["Seq:ServerUrl"] = seq.Url,
            ["Seq:ApiKey"] = "test-api-key",
        });
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        HopReply reply;
        string? echoed;
        // The caller's trace: its W3C traceparent reaches the service, whose events then carry this trace id.
        using (new Activity("caller").SetParentId(ActivityTraceId.CreateFromString(traceId), ActivitySpanId.CreateRandom(),
                   ActivityTraceFlags.Recorded).Start())
        {
            var call = service.Client().HopAsync(new HopRequest { Payload = "hello" }, new Metadata { { "x-request-id", "req-seq-1" } });
            reply = await call;
            echoed = (await call.ResponseHeadersAsync).GetValue("x-request-id");
        }
        // Stopping disposes the logger, which flushes the Seq sink's last batch.
        await service.DisposeAsync();

        Assert.Equal("req-seq-1", echoed);
        Assert.Equal(["req-seq-1"], reply.RequestIds);
        Assert.Equal([traceId], reply.TraceIds);
        Assert.NotEmpty(seq.ApiKeys);
        Assert.All(seq.ApiKeys, k => Assert.Equal("test-api-key", k));
        Assert.All(seq.ContentTypes, t => Assert.StartsWith("application/vnd.serilog.clef", t));

        var events = seq.Events.ToList();
        var hop = Assert.Single(events, e => Str(e, "@mt") == "Relay {Replica} hop with {Payload}");
        Assert.Equal("req-seq-1", Str(hop, "RequestId"));
        Assert.Equal(traceId, Str(hop, "@tr"));
        Assert.Equal(traceId, Str(hop, "TraceId"));
        Assert.Matches("^[0-9a-f]{16}$", Str(hop, "@sp"));
        Assert.Equal("seq-test", Str(hop, "Service"));
        Assert.Equal("hello", Str(hop, "Payload"));

        var end = Assert.Single(events, e => Str(e, "GrpcMethod") == "/unimog.testing.v1.Relay/Hop");
        Assert.Equal("req-seq-1", Str(end, "RequestId"));
        Assert.Equal("OK", Str(end, "GrpcStatus"));
        Assert.Equal(traceId, Str(end, "@tr"));
    }

    [Fact]
    public async Task A_call_without_a_request_id_gets_one_and_it_is_echoed()
    {
        await using var service = await TestService.StartAsync("rid-test");
        var call = service.Client().HopAsync(new HopRequest());
        var reply = await call;
        var echoed = (await call.ResponseHeadersAsync).GetValue("x-request-id");
        Assert.Matches("^[0-9a-f]{32}$", echoed);
        Assert.Equal([echoed], reply.RequestIds);
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
