using Grpc.Core;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Services.Tests.Support;
using static TorchSharp.torch;

namespace UnimoG.Services.Tests;

/// <summary>
/// Load (issue 16): more concurrent generations than the denoiser holds. Those within its batch and queue are held
/// and finish; the rest are refused at once with ResourceExhausted and a retry hint; afterwards the service is as before.
/// </summary>
public sealed class LoadTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Streams_beyond_batch_and_queue_are_refused_with_a_retry_hint_the_held_ones_finish_and_it_recovers()
    {
        const int batch = 8, queue = 32, streams = 48;
        await using var cluster = await Cluster.StartAsync(
            denoiserSettings: new Dictionary<string, string?>
            {
                ["Denoiser:MaxBatchImages"] = $"{batch}", ["Denoiser:MaxQueue"] = $"{queue}", ["Denoiser:BatchWait"] = "00:00:00.050",
            },
            commonSettings: new Dictionary<string, string?> { ["Encoder:MaxQueue"] = "128" });   // this test is about the denoiser's bound
        var client = cluster.Client();
        GenerateRequest Request()
        {
            // Long enough that all streams arrive while the first batch still runs, even on a loaded CI machine.
            var r = GenerationTests.Request(steps: 200);
            (r.Width, r.Height) = (32, 32);
            return r;
        }
        await client.GenerateImagesAsync(GenerationTests.Request(steps: 1));   // warm; the prompt's conditions are cached from here on
        var tensorsBefore = Tensor.TotalCount;
        using var memory = new ResidentMemory();

        var held = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                held = Math.Max(held, cluster.Batcher.ActiveCount + cluster.Batcher.PendingCount);
                await Task.Delay(2);
            }
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, streams).Select(async _ =>
        {
            try
            {
                var result = await client.GenerateImagesAsync(Request());
                return (Images: result.Images.Count, Error: (UnimoGException?)null);
            }
            catch (UnimoGException e)
            {
                return (Images: 0, Error: e);
            }
        }));
        await sampling.CancelAsync();
        await sampler;

        var refused = outcomes.Where(o => o.Error is not null).Select(o => o.Error!).ToList();
        Assert.All(refused, e =>
        {
            Assert.Equal(StatusCode.ResourceExhausted, e.Status);
            Assert.Contains($"Denoiser:MaxQueue = {queue}", e.Detail);
            Assert.NotNull(e.RetryAfter);
            Assert.True(e.RetryAfter > TimeSpan.Zero);
        });
        Assert.All(outcomes.Where(o => o.Error is null), o => Assert.Equal(1, o.Images));
        Assert.Equal(batch + queue, held);                      // everything the denoiser may hold was held at once
        Assert.InRange(refused.Count, 1, streams - batch - queue);  // and no more; the rest were refused, not dropped

        // Recovery: the next request is served, and nothing of the load is left behind.
        Assert.Single((await client.GenerateImagesAsync(Request())).Images);
        await GenerationTests.WaitUntil(() => cluster.Batcher.ActiveCount == 0 && Tensor.TotalCount <= tensorsBefore, seconds: 10);
        var (peak, growth) = memory.Stop();
        output.WriteLine($"{streams} streams: {streams - refused.Count} served, {refused.Count} refused (first hint {refused.FirstOrDefault()?.RetryAfter?.TotalMilliseconds} ms), " +
            $"held {held} at once, {clock.Elapsed.TotalSeconds:0.0} s; RSS peak +{peak >> 20} MB, after +{growth >> 20} MB");
        Assert.True(peak < 2L << 30, $"resident memory peaked {peak >> 20} MB above where it started");
        Assert.True(growth < 1L << 30, $"resident memory stayed {growth >> 20} MB above where it started");
    }
}
