using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Client;
using UnimoG.Hosting;
using UnimoG.Services.Tests.Support;

namespace UnimoG.Services.Tests;

/// <summary>
/// Graceful shutdown of the real services (four hosts on loopback) while a generation streams. The denoiser's worker
/// is held inside a step (its test hook) so the request is certainly in flight when the host is told to stop.
/// </summary>
public sealed class ShutdownTests
{
    /// <summary>Holds the batcher's worker thread after the given step until released.</summary>
    private sealed class StepGate : IDisposable
    {
        private readonly ManualResetEventSlim _release = new();
        private readonly SemaphoreSlim _entered = new(0);
        private int _held;

        public StepGate(UnimoG.Engines.Inference.DenoiseBatcher batcher, int step)
        {
            batcher.Stepped += (_, s, _) =>
            {
                if (s != step || Interlocked.Exchange(ref _held, 1) == 1) return;
                _entered.Release();
                _release.Wait(TimeSpan.FromMinutes(2));
            };
        }

        public Task Entered() => _entered.WaitAsync(TimeSpan.FromSeconds(60)).ContinueWith(t => Assert.True(t.Result, "the request never reached the step"));

        public void Release() => _release.Set();

        public void Dispose() => _release.Set();
    }

    [Fact]
    public async Task Stopping_the_gateway_refuses_new_work_and_lets_the_streaming_generation_finish()
    {
        await using var cluster = await Cluster.StartAsync(gatewaySettings: new Dictionary<string, string?> { ["Shutdown:Timeout"] = "00:01:00" });
        using var gate = new StepGate(cluster.Batcher, step: 2);
        var client = cluster.Client();
        var gatewayChannel = cluster.Channel(cluster.GatewayAddress);

        var events = new List<GenerationEvent>();
        Task? stopping = null;
        await foreach (var e in client.GenerateAsync(GenerationTests.Request(steps: 4, seed: 3)))
        {
            events.Add(e);
            if (e is not GenerationEvent.Progress { Step: 1 }) continue;

            await gate.Entered();                      // the denoiser holds the request inside step 2
            stopping = cluster.Gateway.StopAsync();    // what SIGTERM does
            var readiness = cluster.Gateway.Services.GetRequiredService<Readiness>();
            await GenerationTests.WaitUntil(() => readiness.IsDraining);
            var health = await new Health.HealthClient(gatewayChannel).CheckAsync(new HealthCheckRequest());
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, health.Status);
            // New calls are refused with a retryable status while the generation runs on.
            var refused = await Assert.ThrowsAsync<UnimoGException>(async () =>
            {
                for (var i = 0; i < 500; i++)
                {
                    await client.DescribeAsync();
                    await Task.Delay(20);
                }
            });
            Assert.Equal(StatusCode.Unavailable, refused.Status);
            Assert.Contains("shutting down", refused.Detail);
            var generate = await Assert.ThrowsAsync<UnimoGException>(() => client.GenerateImagesAsync(GenerationTests.Request(steps: 1)));
            Assert.Equal(StatusCode.Unavailable, generate.Status);
            Assert.Equal(0, cluster.Batcher.PendingCount);   // the refused generation did no work
            Assert.False(stopping.IsCompleted, "the gateway waits for its in-flight generation");
            gate.Release();
        }

        Assert.NotNull(stopping);
        Assert.Equal([1, 2, 3, 4], events.OfType<GenerationEvent.Progress>().Select(p => p.Step));
        var image = Assert.Single(events.OfType<GenerationEvent.Image>());
        Assert.Equal(64 * 64 * 4, TestModel.Pixels(image.Png).Length);
        Assert.IsType<GenerationEvent.Completed>(events[^1]);
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Stopping_the_denoiser_past_its_timeout_cancels_the_generation_with_unavailable()
    {
        await using var cluster = await Cluster.StartAsync(denoiserSettings: new Dictionary<string, string?>
        {
            ["Shutdown:Timeout"] = "00:00:01", ["Shutdown:CancelGrace"] = "00:00:10",
        });
        var batcher = cluster.Batcher;
        // Held in step 2: step 1's event has gone out, so the gateway's call is committed (a call that has not answered
        // yet would be retried by the gateway's client on another replica, and with none left fail "Error connecting").
        using var gate = new StepGate(batcher, step: 2);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        batcher.Cancelling += _ => cancelled.TrySetResult();
        // Warm-up with the same prompt (one step, so the gate stays shut): the encoder's cache holds its conditions from now on.
        await cluster.Client().GenerateImagesAsync(GenerationTests.Request(steps: 1, seed: 4));
        var before = TorchSharp.torch.Tensor.TotalCount;

        var generation = cluster.Client().GenerateImagesAsync(GenerationTests.Request(steps: 50, seed: 4));
        await gate.Entered();
        var stopping = cluster.Denoiser.StopAsync();
        // Shutdown:Timeout passes with the request still in flight: its call token is cancelled, which reaches the batcher.
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(generation.IsCompleted);
        gate.Release();

        var e = await Assert.ThrowsAsync<UnimoGException>(() => generation);
        Assert.Equal(StatusCode.Unavailable, e.Status);
        Assert.Contains("shut down before the call finished (Shutdown:Timeout is 00:00:01)", e.Detail);
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));   // within Timeout + CancelGrace: the call unwound
        Assert.Equal((0, 0), (batcher.ActiveCount, batcher.PendingCount));
        await GenerationTests.WaitUntil(() => TorchSharp.torch.Tensor.TotalCount <= before, seconds: 5);
    }
}
