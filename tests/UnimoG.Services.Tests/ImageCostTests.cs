using System.Diagnostics;
using System.Globalization;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Engines;
using UnimoG.Engines.Gateway;
using UnimoG.Engines.Inference;
using UnimoG.Hosting;
using UnimoG.Services.Tests.Support;
using UnimoG.TestSupport;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Services.Tests;

/// <summary>
/// Issue 16, item 3: tiny files declaring huge images, sent concurrently over loopback with a raw gRPC client. They cost
/// what their headers say before any pixel is decoded, decode scaled when they are admitted, and never add up to more
/// than the services' decode budgets. Memory is this process's RSS: every service of the cluster runs in it.
/// </summary>
[Collection("cluster")]
public sealed class ImageCostTests(ClusterFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private Cluster Cluster => fixture.Cluster;
    private V1.Gateway.GatewayClient Gateway => new(Cluster.Channel(Cluster.GatewayAddress));
    private GenerationPipeline Pipeline => Cluster.Gateway.Services.GetRequiredService<GenerationPipeline>();
    private EncoderEngine Encoder => Cluster.Encoder.Services.GetRequiredService<ModelSlot<EncoderEngine>>().Value;

    /// <summary>A 1x1 GIF frame on a 4000x4000 screen (35 bytes): Skia decodes GIFs whole, 64 MB each.</summary>
    private static byte[] Gif(int seed) =>
        [0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0xA0, 0x0F, 0xA0, 0x0F, 0x80, 0, 0, 0xFF, (byte)seed, (byte)(seed >> 8), 0, 0, 0,
         0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B];

    /// <summary>"&lt;img1&gt; ... &lt;imgN&gt; in the park", each image made from a distinct seed (no cache hits).</summary>
    private static GenerateRequest Request(int images, int request, Func<int, byte[]> image)
    {
        var text = string.Concat(Enumerable.Range(1, images).Select(i => $"<img{i}> ")) + "in the park";
        var r = UnimoGClient.Request(text, Enumerable.Range(0, images).Select(i => image(1000 * request + i)));
        (r.Steps, r.Seed) = (1, 1);
        return r;
    }

    private static GenerateRequest Pngs(int images, int request) => Request(images, request, seed => RawPng.Blank(4000, 4000, seed));

    /// <summary>The call's end: null when it completed, else its error.</summary>
    private async Task<RpcException?> Run(GenerateRequest request)
    {
        using var call = Gateway.Generate(request);
        try
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
            return null;
        }
        catch (RpcException e)
        {
            return e;
        }
    }

    private async Task<(RpcException?[] Results, TimeSpan Elapsed, long PeakGrowth, long Growth)> Concurrently(IEnumerable<GenerateRequest> requests)
    {
        var list = requests.ToList();   // built before measuring
        using var rss = new ResidentMemory();
        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(list.Select(Run));
        var elapsed = clock.Elapsed;
        var (peak, growth) = rss.Stop();
        output.WriteLine($"{list.Count} calls in {elapsed.TotalMilliseconds:F0} ms; RSS {rss.Before / 1e6:F0} MB before, peak +{peak / 1e6:F0} MB, after +{growth / 1e6:F0} MB");
        foreach (var g in results.GroupBy(e => e is null ? "OK" : $"{e.StatusCode}: {e.Status.Detail}")) output.WriteLine($"  {g.Count()} x {g.Key}");
        return (results, elapsed, peak, growth);
    }

    [Fact]
    public async Task Eight_concurrent_generates_of_eight_2_KB_PNGs_declaring_4000x4000_are_refused_from_their_headers()
    {
        var (results, _, peak, growth) = await Concurrently(Enumerable.Range(0, 8).Select(r => Pngs(8, r)));   // the time is reported, not asserted
        foreach (var e in results)
        {
            Assert.NotNull(e);
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Equal("prompt.images[4] (<img5>): the request's images declare 80,000,000 pixels up to this one (4000x4000); "
                         + "at most 64,000,000 are decoded per request (Generation:MaxRequestImagePixels)", e.Status.Detail);
        }
        // Before: every image decoded at full size, 8 x 8 x 64 MB, RSS +10.7 GB and kept.
        Assert.True(peak < 256_000_000, $"RSS grew by up to {peak:N0} bytes");
        Assert.True(growth < 256_000_000, $"RSS grew by {growth:N0} bytes");
        Assert.Equal((0, 0), (Pipeline.Decoding.InFlight, Encoder.Decoding.InFlight));
    }

    [Fact]
    public async Task Within_the_pixel_budget_they_decode_scaled_and_generate_in_bounded_memory()
    {
        var (results, _, peak, _) = await Concurrently(Enumerable.Range(0, 8).Select(r => Pngs(4, 100 + r)));
        Assert.All(results, Assert.Null);
        // At full size the gateway would hold 4 x 64 MB per call and the encoder 4 x ~115 MB: GBs for eight calls.
        Assert.True(peak < 1_000_000_000, $"RSS grew by up to {peak:N0} bytes");
        Assert.Equal((0, 0), (Pipeline.Decoding.InFlight, Encoder.Decoding.InFlight));
    }

    [Fact]
    public async Task GIFs_that_decode_at_full_size_are_admitted_as_the_byte_budget_allows_and_the_rest_told_when_to_retry()
    {
        // Each call's 4 GIFs take 256 MB to check at the gateway (Generation:ImageDecodeBytes = 256 MiB: one call at a time).
        var (results, _, peak, _) = await Concurrently(Enumerable.Range(0, 8).Select(r => Request(4, 200 + r, Gif)));
        Assert.Contains(results, e => e is null);
        var refused = results.OfType<RpcException>().ToList();
        Assert.NotEmpty(refused);
        foreach (var e in refused)
        {
            Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
            Assert.Matches("^image decoding is at its budget: this request needs [0-9,]+ bytes, [0-9,]+ of the [0-9,]+ of (Generation|Encoder):ImageDecodeBytes", e.Status.Detail);
            AssertRetryHint(e, TimeSpan.FromSeconds(1));
        }
        Assert.True(peak < 2_000_000_000, $"RSS grew by up to {peak:N0} bytes");
        Assert.Equal((0, 0), (Pipeline.Decoding.InFlight, Encoder.Decoding.InFlight));
    }

    [Fact]
    public async Task Over_the_budget_of_either_service_a_call_is_resource_exhausted_with_a_retry_hint_and_leaks_nothing()
    {
        foreach (var (budget, key) in new[] { (Pipeline.Decoding, "Generation:ImageDecodeBytes"), (Encoder.Decoding, "Encoder:ImageDecodeBytes") })
        {
            using (budget.Acquire(budget.Capacity - 1000))   // as if other calls were decoding
            {
                var e = await Run(Pngs(1, 300));
                Assert.NotNull(e);
                Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
                Assert.Contains($"of {key} are in use by other requests; retry later", e.Status.Detail);
                AssertRetryHint(e, TimeSpan.FromSeconds(1));   // the encoder's hint relayed by the gateway too
                Assert.Equal(budget.Capacity - 1000, budget.InFlight);
            }
            Assert.Null(await Run(Pngs(1, 300)));
            Assert.Equal(0, budget.InFlight);
        }
    }

    private static void AssertRetryHint(RpcException e, TimeSpan expected)
    {
        Assert.Equal(expected.TotalMilliseconds.ToString(CultureInfo.InvariantCulture), e.Trailers.GetValue(UnimoGException.RetryAfterTrailer));
        Assert.Equal(expected, e.GetRpcStatus()!.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());
    }
}
