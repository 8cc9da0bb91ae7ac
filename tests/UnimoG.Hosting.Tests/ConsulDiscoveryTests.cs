using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using UnimoG.Hosting.Discovery;
using UnimoG.Hosting.Tests.Protos;
using UnimoG.Hosting.Tests.Support;

namespace UnimoG.Hosting.Tests;

public class ConsulDiscoveryTests
{
    private const string Token = "acl-token-123";

    [Fact]
    public async Task Register_discover_balance_drop_the_unhealthy_replica_and_deregister_on_stop()
    {
        await using var consul = await FakeConsul.StartAsync();
        Dictionary<string, string?> Settings(string replica) => new()
        {
            ["Consul:Address"] = consul.Url,
            ["Consul:Token"] = Token,
            ["Consul:ServiceAddress"] = "127.0.0.1",
            ["Consul:ServiceId"] = $"echo-{replica}",
            ["Relay:Replica"] = replica,
        };
        await using var a = await TestService.StartAsync("echo", Settings("a"));
        await using var b = await TestService.StartAsync("echo", Settings("b"));

        // Registered with a gRPC health check on each replica's gRPC port.
        var registrations = consul.Registrations("echo").OrderBy(r => (string?)r["ID"]).ToList();
        Assert.Equal(["echo-a", "echo-b"], registrations.Select(r => (string?)r["ID"]));
        var check = registrations[0]["Check"]!;
        Assert.Equal($"127.0.0.1:{a.GrpcPort}", (string?)check["GRPC"]);
        Assert.False((bool)check["GRPCUseTLS"]!);
        Assert.Equal("10s", (string?)check["Interval"]);
        Assert.Equal("5s", (string?)check["Timeout"]);
        Assert.Equal("60s", (string?)check["DeregisterCriticalServiceAfter"]); // a Go duration, as Consul parses it
        Assert.Equal(a.GrpcPort, (int)registrations[0]["Port"]!);

        // Until Consul's first check passes, nothing is healthy; then both are.
        using var direct = new ConsulClient(new ConsulOptions { Address = consul.Url, Token = Token });
        Assert.Empty((await direct.HealthyInstancesAsync("echo", 0, TimeSpan.FromSeconds(5), default)).Instances);
        await consul.RunChecksAsync();
        var first = await direct.HealthyInstancesAsync("echo", 0, TimeSpan.FromSeconds(5), default);
        Assert.Equal(new[] { a.GrpcPort, b.GrpcPort }.Order(), first.Instances.Select(i => i.Port).Order());

        // A client resolving consul:///echo balances over both replicas.
        using var clientHost = ClientHost(consul.Url);
        var client = clientHost.Services.GetRequiredService<Relay.RelayClient>();
        var seen = new HashSet<string>();
        for (var i = 0; i < 200 && seen.Count < 2; i++)
            seen.Add((await client.HopAsync(new HopRequest())).Path[0]);
        Assert.Equal(["a", "b"], seen.Order());

        // A blocking query waits for a change ...
        var blockedBefore = consul.BlockedQueries;
        var pending = direct.HealthyInstancesAsync("echo", first.Index, TimeSpan.FromSeconds(30), default);
        for (var i = 0; i < 500 && consul.BlockedQueries == blockedBefore; i++) await Task.Delay(10);
        Assert.False(pending.IsCompleted, "the query blocks while nothing changes");

        // ... and wakes when replica b turns unhealthy (its model is being reloaded, say).
        b.Get<Readiness>().Require("model");
        await consul.RunChecksAsync();
        var woke = await pending.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(woke.Index > first.Index);
        Assert.Equal([a.GrpcPort], woke.Instances.Select(i => i.Port));

        // The resolver's own blocking query drops b: soon every call lands on a.
        var run = 0;
        for (var i = 0; i < 400 && run < 20; i++)
        {
            run = (await client.HopAsync(new HopRequest())).Path[0] == "a" ? run + 1 : 0;
            if (run == 0) await Task.Delay(10);
        }
        Assert.Equal(20, run);
        for (var i = 0; i < 20; i++)
            Assert.Equal("a", (await client.HopAsync(new HopRequest())).Path[0]);

        // Stopping a replica deregisters it at once.
        await b.StopAsync();
        Assert.Equal(["echo-a"], consul.Registrations("echo").Select(r => (string?)r["ID"]));
        Assert.Contains(consul.Requests, r => r is { Method: "PUT", Path: "/v1/agent/service/deregister/echo-b" });

        // Every request to Consul carried the ACL token.
        Assert.All(consul.Requests, r => Assert.Equal(Token, r.Token));
        Assert.Contains(consul.Requests, r => r.Method == "GET" && r.Path.Contains("passing=true") && r.Path.Contains("&index=") && r.Path.Contains("&wait="));
    }

    [Fact]
    public async Task Without_consul_a_static_list_or_DNS_address_reaches_the_replicas()
    {
        await using var a = await TestService.StartAsync("echo", new Dictionary<string, string?> { ["Relay:Replica"] = "a" });
        await using var b = await TestService.StartAsync("echo", new Dictionary<string, string?> { ["Relay:Replica"] = "b" });

        using var staticHost = ClientHost(null, $"static:///127.0.0.1:{a.GrpcPort},127.0.0.1:{b.GrpcPort}");
        var client = staticHost.Services.GetRequiredService<Relay.RelayClient>();
        var seen = new HashSet<string>();
        for (var i = 0; i < 200 && seen.Count < 2; i++)
            seen.Add((await client.HopAsync(new HopRequest())).Path[0]);
        Assert.Equal(["a", "b"], seen.Order());

        // dns:/// (a headless Service in Kubernetes) through grpc-dotnet's resolver; localhost stands in here.
        using var dnsHost = ClientHost(null, $"dns:///localhost:{a.GrpcPort}");
        Assert.Equal("a", (await dnsHost.Services.GetRequiredService<Relay.RelayClient>().HopAsync(new HopRequest())).Path[0]);
    }

    private static IHost ClientHost(string? consulUrl, string? address = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Consul:Address"] = consulUrl,
            ["Consul:Token"] = Token,
            ["Services:echo:Address"] = address,
        });
        builder.AddUnimoGServiceClient<Relay.RelayClient>("echo");
        return builder.Build();
    }
}
