using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Cli;
using UnimoG.Client;
using UnimoG.Engines.Inference;
using UnimoG.Hosting;
using UnimoG.Services.Tests.Support;

namespace UnimoG.Services.Tests;

/// <summary>
/// A backend that goes away (issue 16, items 13 and 14): the caller is told which service failed and the request id,
/// never an address or an exception chain; the gateway turns NOT_SERVING while no replica answers, and serves again
/// once one is back at the same address.
/// </summary>
public sealed class BackendFailureTests
{
    private static async Task<HealthCheckResponse.Types.ServingStatus> Health(Cluster cluster) =>
        (await new Health.HealthClient(cluster.Channel(cluster.GatewayAddress)).CheckAsync(new HealthCheckRequest())).Status;

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        for (var until = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < until; await Task.Delay(100))
            if (await condition()) return;
        Assert.Fail($"not within 30 s: {what}");
    }

    [Fact]
    public async Task A_stopped_denoiser_is_named_with_the_request_id_and_the_gateway_is_not_ready_until_it_returns()
    {
        await using var cluster = await Cluster.StartAsync();
        var client = cluster.Client();
        await client.GenerateImagesAsync(GenerationTests.Request(steps: 2));   // the model is known, the channels connected
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await Health(cluster));

        await cluster.Denoiser.StopAsync();
        string? id = null;
        var e = await Assert.ThrowsAsync<UnimoGException>(async () =>
        {
            await foreach (var ev in client.GenerateAsync(GenerationTests.Request(steps: 2)))
                if (ev is GenerationEvent.Accepted a) id = a.Info.RequestId;
        });
        Assert.Equal(StatusCode.Unavailable, e.Status);
        Assert.NotNull(id);
        Assert.StartsWith($"the denoiser is unavailable (request {id}); try again later. The gateway's log has the details.", e.Detail);
        Assert.DoesNotContain("127.0.0.1", e.Detail);

        await Eventually(async () => await Health(cluster) == HealthCheckResponse.Types.ServingStatus.NotServing, "the gateway says NOT_SERVING");
        var reason = cluster.Gateway.Services.GetRequiredService<Readiness>().Reason;
        Assert.Contains("no denoiser replica is serving (Unavailable)", reason);

        // A replica at the same address: the gateway rejoins it without a restart.
        var settings = new Dictionary<string, string?> { ["Model:TokenizerPath"] = TestModel.Tokenizer, ["Log:MinimumLevel"] = "Warning" };
        await using var again = ServeCommand.Build("denoiser", cluster.DenoiserAddress, null, TestModel.Folder, null, null, null, settings, null);
        await again.StartAsync();
        await again.Services.GetRequiredService<ModelSlot<DenoiseBatcher>>().Loaded;
        await Eventually(async () => await Health(cluster) == HealthCheckResponse.Types.ServingStatus.Serving, "the gateway serves again");
        var result = await client.GenerateImagesAsync(GenerationTests.Request(steps: 2));
        Assert.Single(result.Images);
        await again.StopAsync();
    }
}
