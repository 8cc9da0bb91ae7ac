using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using UnimoG.Hosting.Tests.Protos;
using UnimoG.Hosting.Tests.Support;

namespace UnimoG.Hosting.Tests;

/// <summary>The Prometheus endpoint of the shared hosting defaults: the shared instruments, and errors counted by status.</summary>
public class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_endpoint_shows_the_shared_instruments_and_errors_by_status()
    {
        await using var service = await TestService.StartAsync("metrics-test");
        var client = service.Client();
        await client.HopAsync(new HopRequest { Payload = "hit" });
        await client.HopAsync(new HopRequest { Payload = "miss" });
        var failed = await Assert.ThrowsAsync<RpcException>(() =>
            client.FailAsync(new FailRequest { Code = (int)StatusCode.InvalidArgument, Message = "bad width" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, failed.StatusCode);
        using (var stream = client.Count(new CountRequest { Count = 3 }))
            Assert.Equal(3, await stream.ResponseStream.ReadAllAsync().CountAsync());

        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{service.MetricsPort}/metrics");

        Assert.Equal(1, Value(text, "unimog_rpc_errors_total", "grpc_method=\"/unimog.testing.v1.Relay/Fail\"", "grpc_status=\"InvalidArgument\""));
        Assert.DoesNotContain("grpc_status=\"OK\"", text);
        Assert.Equal(2, Value(text, "unimog_images_served_total"));
        Assert.Equal(1, Value(text, "unimog_cache_hits_total", "cache=\"test\""));
        Assert.Equal(1, Value(text, "unimog_cache_misses_total", "cache=\"test\""));
        Assert.Equal(0.5, Value(text, "unimog_cache_hit_ratio", "cache=\"test\""));
        Assert.Equal(2, Value(text, "unimog_step_duration_seconds_count", "step=\"relay\""));
        Assert.Equal(2, Value(text, "unimog_batch_size_count"));
        // Every call has ended, so the active-requests gauge is back to zero for each method.
        Assert.Equal(0, Value(text, "unimog_requests_active", "grpc_method=\"/unimog.testing.v1.Relay/Hop\""));
    }

    [Fact]
    public async Task A_deadline_is_counted_as_DeadlineExceeded_and_a_cancellation_as_Cancelled()
    {
        await using var service = await TestService.StartAsync("metrics-deadline-test");
        var client = service.Client();
        await client.HopAsync(new HopRequest { Payload = "warm" });   // connected: each call below reaches the server
        var deadline = DateTime.UtcNow.AddSeconds(1.5);
        var late = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            Assert.ThrowsAsync<RpcException>(() => client.WaitAsync(new WaitRequest { Gate = "never" }, deadline: deadline).ResponseAsync)));
        Assert.All(late, e => Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode));
        using (var cts = new CancellationTokenSource())
        {
            var call = client.WaitAsync(new WaitRequest { Gate = "left" }, deadline: DateTime.UtcNow.AddMinutes(5), cancellationToken: cts.Token);
            await service.Get<Gates>().Entered("left");
            await cts.CancelAsync();
            Assert.Equal(StatusCode.Cancelled, (await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync)).StatusCode);
        }

        // The server counts each call when its handler has unwound, a moment after the client has given up.
        using var http = new HttpClient();
        const string wait = "grpc_method=\"/unimog.testing.v1.Relay/Wait\"";
        string text = "";
        for (var until = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < until; await Task.Delay(100))
        {
            text = await http.GetStringAsync($"http://127.0.0.1:{service.MetricsPort}/metrics");
            if (Total(text, "unimog_rpc_errors_total", wait) >= 5) break;
        }
        Assert.Equal(4, Value(text, "unimog_rpc_errors_total", wait, "grpc_status=\"DeadlineExceeded\""));
        Assert.Equal(1, Value(text, "unimog_rpc_errors_total", wait, "grpc_status=\"Cancelled\""));
    }

    private static double Total(string exposition, string metric, params string[] labels) =>
        exposition.Split('\n').Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && labels.All(l.Contains))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The value of one Prometheus sample whose labels include all of <paramref name="labels"/>.</summary>
    private static double Value(string exposition, string metric, params string[] labels)
    {
        var samples = exposition.Split('\n')
            .Where(l => Regex.IsMatch(l, $"^{Regex.Escape(metric)}(\\{{| )") && labels.All(l.Contains))
            .ToList();
        var line = Assert.Single(samples);
        return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
