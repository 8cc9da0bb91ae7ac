using Grpc.Core;
using Grpc.Health.V1;
using UnimoG.Hosting.Shutdown;
using UnimoG.Hosting.Tests.Protos;
using UnimoG.Hosting.Tests.Support;

namespace UnimoG.Hosting.Tests;

public class GracefulShutdownTests
{
    [Fact]
    public async Task Stopping_goes_not_serving_refuses_new_calls_and_finishes_the_in_flight_call()
    {
        await using var service = await TestService.StartAsync("shutdown-test");
        var gates = service.Get<Gates>();
        var client = service.Client();
        var inFlight = client.WaitAsync(new WaitRequest { Gate = "slow" }).ResponseAsync;
        await gates.Entered("slow");
        Assert.Equal(1, service.Get<InFlightCalls>().Count);

        var stopping = service.StopAsync(); // what SIGTERM does
        await Eventually(() => service.Get<Readiness>().IsDraining);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await service.HealthAsync());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await service.HealthAsync("liveness"));
        // New work is refused with a retryable status while the old call runs on.
        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await client.HopAsync(new HopRequest());
                await Task.Delay(20);
            }
        });
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("shutting down", refused.Status.Detail);
        Assert.False(stopping.IsCompleted, "the host waits for the in-flight call");

        gates.Release("slow");
        var reply = await inFlight;
        Assert.Equal("shutdown-test", reply.Replica);
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_call_outliving_the_timeout_is_cancelled_through_its_call_token()
    {
        await using var service = await TestService.StartAsync("timeout-test", new Dictionary<string, string?>
        {
            ["Shutdown:Timeout"] = "00:00:00.5",
        });
        var gates = service.Get<Gates>();
        var stuck = service.Client().WaitAsync(new WaitRequest { Gate = "never" }).ResponseAsync;
        await gates.Entered("never");

        await service.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var cancelled = await Assert.ThrowsAsync<RpcException>(() => stuck);
        Assert.Equal(StatusCode.Unavailable, cancelled.StatusCode);
        Assert.Contains("shut down before the call finished", cancelled.Status.Detail);
        Assert.Equal(0, service.Get<InFlightCalls>().Count);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }
}
