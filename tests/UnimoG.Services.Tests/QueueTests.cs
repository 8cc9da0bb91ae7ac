using Grpc.Core;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Services.Tests.Support;

namespace UnimoG.Services.Tests;

/// <summary>
/// A denoiser with room for one request in a batch and one waiting: the third is ResourceExhausted. With room for more
/// waiting, each waiting request is told its position as it changes, before its first step.
/// </summary>
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

    [Fact]
    public async Task Waiting_requests_are_told_their_position_counting_down_before_progress()
    {
        await using var cluster = await Cluster.StartAsync(new Dictionary<string, string?>
        {
            ["Denoiser:MaxBatchImages"] = "1", ["Denoiser:BatchWait"] = "00:00:00",
        });
        var client = cluster.Client();
        using var stopFirst = new CancellationTokenSource();
        var firstStep = new TaskCompletionSource();
        var firstEvents = new List<GenerationEvent>();
        async Task<List<GenerationEvent>> Run(GenerateRequest r, CancellationToken ct, List<GenerationEvent>? events = null)
        {
            events ??= [];
            await foreach (var e in client.GenerateAsync(r, ct))
            {
                events.Add(e);
                if (e is GenerationEvent.Progress) firstStep.TrySetResult();
            }
            return events;
        }
        var first = Run(GenerationTests.Request(steps: 200), stopFirst.Token, firstEvents);
        await firstStep.Task.WaitAsync(TimeSpan.FromMinutes(1));
        var second = Run(GenerationTests.Request(steps: 2, seed: 2), CancellationToken.None);
        await GenerationTests.WaitUntil(() => cluster.Batcher.PendingCount == 1);
        var third = Run(GenerationTests.Request(steps: 2, seed: 3), CancellationToken.None);
        await GenerationTests.WaitUntil(() => cluster.Batcher.PendingCount == 2);
        stopFirst.Cancel();   // the slot frees: the second starts, the third moves up
        await Assert.ThrowsAnyAsync<Exception>(() => first);

        static List<string> Order(List<GenerationEvent> events) =>
            [.. events.Select(e => e switch
            {
                GenerationEvent.Queued q => $"queued {q.Position} {q.Active}",
                GenerationEvent.Progress p => $"progress {p.Step}",
                _ => e.GetType().Name.ToLowerInvariant(),
            })];
        Assert.Equal(["accepted", "queued 0 1", "progress 1", "progress 2", "image", "completed"], Order(await second));
        Assert.Equal(["accepted", "queued 1 1", "queued 0 1", "progress 1", "progress 2", "image", "completed"], Order(await third));
        Assert.DoesNotContain(firstEvents, e => e is GenerationEvent.Queued);   // it started at once
        await GenerationTests.WaitUntil(() => cluster.Batcher.ActiveCount == 0 && cluster.Batcher.PendingCount == 0);
    }
}
