using Grpc.Core;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Services.Tests.Support;

namespace UnimoG.Services.Tests;

/// <summary>A denoiser with room for one request in a batch and one waiting: the third is ResourceExhausted.</summary>
public sealed class QueueTests
{
    [Fact]
    public async Task Full_queue_is_resource_exhausted_and_the_batch_limit_is_enforced()
    {
        await using var cluster = await Cluster.StartAsync(new Dictionary<string, string?>
        {
            ["Denoiser:MaxBatchImages"] = "1", ["Denoiser:MaxQueue"] = "1", ["Denoiser:BatchWait"] = "00:00:00",
        });
        var client = cluster.Client();
        using var stop = new CancellationTokenSource();
        var firstStep = new TaskCompletionSource();
        async Task Run(GenerateRequest r)
        {
            await foreach (var e in client.GenerateAsync(r, stop.Token))
                if (e is GenerationEvent.Progress) firstStep.TrySetResult();
        }
        var a = Run(GenerationTests.Request(steps: 200));
        await firstStep.Task.WaitAsync(TimeSpan.FromMinutes(1));
        var b = Run(GenerationTests.Request(steps: 200, seed: 2));   // waits: the batch holds one image
        await GenerationTests.WaitUntil(() => cluster.Batcher.PendingCount == 1);

        var full = await Assert.ThrowsAsync<ServerBusyException>(() => client.GenerateImagesAsync(GenerationTests.Request(steps: 2, seed: 3)));
        Assert.Equal(StatusCode.ResourceExhausted, full.Status);
        Assert.Contains("the denoiser queue is full (1 requests waiting, Denoiser:MaxQueue = 1)", full.Detail);

        var tooMany = GenerationTests.Request(steps: 2);
        tooMany.NumImages = 2;
        var batch = await Assert.ThrowsAsync<InvalidRequestException>(() => client.GenerateImagesAsync(tooMany));
        Assert.Equal("num_images", batch.Field);
        Assert.Contains("Denoiser:MaxBatchImages", batch.Detail);

        stop.Cancel();
        await Assert.ThrowsAnyAsync<Exception>(() => Task.WhenAll(a, b));
        await GenerationTests.WaitUntil(() => cluster.Batcher.ActiveCount == 0 && cluster.Batcher.PendingCount == 0);
    }
}
