using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using UnimoG.Hosting.Tests.Protos;
using UnimoG.Hosting.Tests.Support;

namespace UnimoG.Hosting.Tests;

/// <summary>The gRPC port speaks HTTP/2 only and the metrics port HTTP/1: neither serves the other's protocol.</summary>
public class PortsTests
{
    [Fact]
    public async Task GRPC_port_is_HTTP2_only_and_metrics_port_is_HTTP1()
    {
        await using var service = await TestService.StartAsync("ports-test");
        using var http = new HttpClient();
        // HTTP/1.1 to the gRPC port is refused by Kestrel's HTTP/2-only endpoint.
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetStringAsync($"http://127.0.0.1:{service.GrpcPort}/metrics"));
        // The metrics port does not serve gRPC.
        using var wrongPort = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{service.MetricsPort}");
        await Assert.ThrowsAsync<RpcException>(() => new Relay.RelayClient(wrongPort).HopAsync(new HopRequest()).ResponseAsync);
    }
}
