using System.Collections.Concurrent;
using UnimoG.Client;
using UnimoG.Engines.Inference;
using UnimoG.Services.Tests.Support;

namespace UnimoG.Services.Tests;

/// <summary>Small requests are not held to the pace of large ones in the denoiser (issue 16, item 14).</summary>
[Collection("cluster")]
public sealed class FairSchedulingTests(ClusterFixture fixture)
{
    [Fact]
    public void Turns_go_to_the_size_with_the_least_worker_time()
    {
        var share = new FairShare<string>();
        var turns = new List<string>();
        string[] active = ["large", "small"];
        for (var i = 0; i < 18; i++)
        {
            Assert.True(share.TryNext(active, out var next));
            turns.Add(next);
            share.Spent(next, next == "large" ? 8.0 : 1.0);
        }
        // Equal time: 2 large turns (16 s) and 16 small ones (16 s), whatever the order.
        Assert.Equal(2, turns.Count(t => t == "large"));
        Assert.Equal(16, turns.Count(t => t == "small"));
        // A size that joins late starts level with the least-served one, and goes first on that tie; it is not owed
        // the time before it came.
        Assert.True(share.TryNext(["large", "small", "late"], out var joined));
        Assert.Equal("late", joined);
        share.Spent("late", 0.5);
        Assert.True(share.TryNext(["large", "small", "late"], out var afterLate));
        Assert.NotEqual("late", afterLate);
        Assert.False(share.TryNext([], out _));
    }

    [Fact]
    public async Task A_small_request_finishes_while_a_large_one_takes_a_few_steps()
    {
        var cluster = fixture.Cluster;
        var steps = new ConcurrentQueue<(string Id, int Step)>();
        void Record(string id, int step, int batch) => steps.Enqueue((id, step));
        cluster.Batcher.Stepped += Record;
        try
        {
            var large = GenerationTests.Request(steps: 30);
            (large.Width, large.Height) = (192, 192);
            var small = GenerationTests.Request(steps: 20);
            (small.Width, small.Height) = (32, 32);
            await cluster.Client().GenerateImagesAsync(GenerationTests.Request(steps: 1));   // warm

            var client = cluster.Client();
            string? largeId = null;
            using var stop = new CancellationTokenSource();
            var largeRun = Task.Run(async () =>
            {
                await foreach (var e in client.GenerateAsync(large, stop.Token))
                    if (e is GenerationEvent.Accepted a) largeId = a.Info.RequestId;
            });
            await GenerationTests.WaitUntil(() => largeId is not null && steps.Any(s => s.Id == largeId));
            var smallDone = await client.GenerateImagesAsync(small);
            var largeStepsMeanwhile = steps.Count(s => s.Id == largeId);
            await stop.CancelAsync();   // its remaining steps would only cost the suite time
            await Assert.ThrowsAsync<UnimoGException>(() => largeRun);

            Assert.Equal(20, steps.Count(s => s.Id == smallDone.Accepted.RequestId));
            // First come first served would have made the small request wait 20 large steps (one per round).
            Assert.True(largeStepsMeanwhile < 12, $"the large request ran {largeStepsMeanwhile} steps while the small one ran its 20");
        }
        finally
        {
            cluster.Batcher.Stepped -= Record;
        }
    }
}
