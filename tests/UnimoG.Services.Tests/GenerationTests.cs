using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Engines.InProcess;
using UnimoG.Services.Tests.Support;
using UnimoG.TestSupport;
using static TorchSharp.torch;

namespace UnimoG.Services.Tests;

/// <summary>Generations through the gateway over HTTP/2 on loopback, four separate hosts.</summary>
[Collection("cluster")]
public sealed class GenerationTests(ClusterFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private Cluster Cluster => fixture.Cluster;

    internal static GenerateRequest Request(string text = "<img1> wearing <img2> in the park", int steps = 4, ulong seed = 42)
    {
        var request = UnimoGClient.Request(text, TestModel.Png(40, 30, 200, 30, 30), TestModel.Png(24, 24, 20, 60, 220, 200));
        request.Steps = steps;
        request.Seed = seed;
        return request;
    }

    [Fact]
    public async Task Generation_with_previews_streams_events_in_order()
    {
        var request = Request(steps: 6);
        request.NumImages = 2;
        request.PreviewInterval = 2;
        var events = new List<GenerationEvent>();
        await foreach (var e in Cluster.Client().GenerateAsync(request)) events.Add(e);

        var accepted = Assert.IsType<GenerationEvent.Accepted>(events[0]).Info;
        Assert.Equal(42UL, accepted.Seed);
        Assert.True(accepted.ModelUntrained);
        Assert.Equal((64, 64, 6, 2, PreviewKind.Linear), (accepted.Width, accepted.Height, accepted.Steps, accepted.NumImages, accepted.PreviewKind));
        Assert.False(string.IsNullOrEmpty(accepted.RequestId));

        // progress 1..6 in order; after steps 2, 4, 6 one preview per image (16x16: latent resolution); then images; then completed
        var expected = new List<string>();
        for (var step = 1; step <= 6; step++)
        {
            expected.Add($"progress {step}");
            if (step % 2 == 0) expected.AddRange([$"preview {step} 0", $"preview {step} 1"]);
        }
        expected.AddRange(["image 0", "image 1", "completed"]);
        Assert.Equal(expected, events.Skip(1).Select(Describe));
        var previews = events.OfType<GenerationEvent.Preview>().ToList();
        Assert.Equal(3 * 2, previews.Count);
        Assert.All(previews, p => Assert.Equal(16 * 16 * 4, TestModel.Pixels(p.Png).Length));
        var images = events.OfType<GenerationEvent.Image>().ToList();
        Assert.All(images, i => Assert.Equal((64, 64, 42UL), (i.Width, i.Height, i.Seed)));
        Assert.Equal(64 * 64 * 4, TestModel.Pixels(images[0].Png).Length);
        Assert.NotEqual(images[0].Png, images[1].Png); // two draws from one generator
        var times = Assert.IsType<GenerationEvent.Completed>(events[^1]).Times;
        Assert.True(times.EncodeMs > 0 && times.DenoiseMs > 0 && times.DecodeMs > 0 && times.TotalMs >= times.DenoiseMs);
    }

    [Fact]
    public async Task Latent_previews_are_exact_VAE_decodes()
    {
        var request = Request(steps: 4);
        request.PreviewInterval = 4;
        request.PreviewKind = PreviewKind.Latent;
        var events = new List<GenerationEvent>();
        await foreach (var e in Cluster.Client().GenerateAsync(request)) events.Add(e);
        var preview = Assert.Single(events.OfType<GenerationEvent.Preview>());
        Assert.Equal((4, PreviewKind.Latent), (preview.Step, preview.Kind));
        // At the last step DDIM's x_{t-1} is its predicted x_0 (alpha_{t-1} = final alpha... not 1 here), so compare sizes only:
        // the preview is a full-resolution VAE decode, unlike the 16x16 linear projection.
        Assert.Equal(64 * 64 * 4, TestModel.Pixels(preview.Png).Length);
    }

    [Fact]
    public async Task Same_seed_gives_identical_PNG_bytes_in_one_process_and_over_the_network()
    {
        var request = Request(steps: 5, seed: 1234);
        request.Sampler = "ddim";
        request.Eta = 0.5f; // exercises the per-request generator after the initial noise, too
        request.NegativePrompt = new Prompt { Text = "blurry" };
        var network = await Cluster.Client().GenerateImagesAsync(request);

        using var local = OneProcess.Load(TestModel.Folder, TestModel.Options);
        var localImages = new List<byte[]>();
        await foreach (var e in local.Pipeline.GenerateAsync(request, "local"))
            if (e.EventCase == GenerateEvent.EventOneofCase.Image) localImages.Add(e.Image.Png.ToByteArray());

        Assert.Equal(network.Images.Count, localImages.Count);
        Assert.Equal(network.Images[0], localImages[0]);

        request.Seed = 1235;
        var other = await Cluster.Client().GenerateImagesAsync(request);
        Assert.NotEqual(network.Images[0], other.Images[0]);
    }

    [Fact]
    public async Task Cancellation_stops_the_denoiser_within_one_step_and_frees_its_tensors()
    {
        await Cluster.Client().GenerateImagesAsync(Request(steps: 2)); // warm-up: same prompt, so the encoder's cache holds it already
        var before = Tensor.TotalCount;
        var steps = new ConcurrentQueue<(int Step, long At)>();
        long cancelledAt = long.MaxValue;
        void Record(string id, int step, int batch) => steps.Enqueue((step, System.Diagnostics.Stopwatch.GetTimestamp()));
        void Cancelling(string id) => Interlocked.CompareExchange(ref cancelledAt, System.Diagnostics.Stopwatch.GetTimestamp(), long.MaxValue);
        Cluster.Batcher.Stepped += Record;
        Cluster.Batcher.Cancelling += Cancelling;
        try
        {
            using var cts = new CancellationTokenSource();
            var error = await Assert.ThrowsAnyAsync<UnimoGException>(async () =>
            {
                await foreach (var e in Cluster.Client().GenerateAsync(Request(steps: 200), cts.Token))
                    if (e is GenerationEvent.Progress { Step: 3 }) cts.Cancel();   // the client cancels mid-denoising
            });
            Assert.Equal(StatusCode.Cancelled, error.Status);
            await WaitUntil(() => Cluster.Batcher.ActiveCount == 0 && Cluster.Batcher.PendingCount == 0);
            Assert.NotEqual(long.MaxValue, Interlocked.Read(ref cancelledAt));   // the cancellation reached the denoiser
            // Once the denoiser learns of it, at most the step already under way completes.
            var after = steps.Count(s => s.At > cancelledAt);
            Assert.True(after <= 1, $"the denoiser ran {after} steps after the cancellation reached it");
            Assert.True(steps.Max(s => s.Step) < 20, $"the request ran {steps.Max(s => s.Step)} steps");
            // Live tensors are back where they were before the request (none of its tensors outlives it).
            await WaitUntil(() => Tensor.TotalCount <= before, seconds: 3);
        }
        finally
        {
            Cluster.Batcher.Stepped -= Record;
            Cluster.Batcher.Cancelling -= Cancelling;
        }
    }

    [Fact]
    public async Task Expired_deadline_is_deadline_exceeded_and_the_denoiser_stops()
    {
        await Cluster.Client().GenerateImagesAsync(Request(steps: 2));
        var before = Tensor.TotalCount;
        var ran = 0;
        void Count(string id, int step, int batch) => Interlocked.Increment(ref ran);
        Cluster.Batcher.Stepped += Count;
        try
        {
            var error = await Assert.ThrowsAnyAsync<UnimoGException>(() =>
                Cluster.Client().GenerateImagesAsync(Request(steps: 200), deadline: DateTime.UtcNow.AddMilliseconds(1500)));
            Assert.Equal(StatusCode.DeadlineExceeded, error.Status);
            await WaitUntil(() => Cluster.Batcher.ActiveCount == 0);
            var stoppedAt = ran;
            await Task.Delay(300);
            Assert.Equal(stoppedAt, ran);   // nothing steps on after the deadline reached the denoiser
            Assert.True(ran < 200, $"the denoiser ran all {ran} steps despite the deadline");
            // Live tensors are back where they were before the request (none of its tensors outlives it).
            await WaitUntil(() => Tensor.TotalCount <= before, seconds: 3);
        }
        finally
        {
            Cluster.Batcher.Stepped -= Count;
        }
    }

    [Fact]
    public async Task Batched_requests_get_the_image_they_get_alone()
    {
        // alone
        var a = Request("<img1> wearing <img2> in the park", steps: 8, seed: 5);
        var alone = await Cluster.Client().GenerateImagesAsync(a);

        // the same request batched with two others: another prompt length, two images, eta > 0, no guidance; B joins mid-way
        var b = Request("<img2> next to <img1>, a much longer prompt about a sunny day at the seaside with friends", steps: 6, seed: 9);
        b.NumImages = 2;
        b.Sampler = "ddim";
        b.Eta = 1;
        var c = UnimoGClient.Request("a red dot");
        c.Steps = 8;
        c.Seed = 3;
        c.GuidanceScale = 1;
        var batchSizes = new ConcurrentBag<int>();
        var stepsSeen = 0;
        var bStarted = new TaskCompletionSource();
        async Task<GenerationResult> Run(GenerateRequest r, bool signal)
        {
            GenerateAccepted? accepted = null;
            var images = new List<byte[]>();
            await foreach (var e in Cluster.Client().GenerateAsync(r))
            {
                if (e is GenerationEvent.Accepted acc) accepted = acc.Info;
                if (e is GenerationEvent.Progress && signal && Interlocked.Increment(ref stepsSeen) == 2) bStarted.TrySetResult();
                if (e is GenerationEvent.Image im) images.Add(im.Png);
            }
            return new GenerationResult(accepted!, images, new GenerateCompleted());
        }
        void Sizes(string id, int step, int batch) => batchSizes.Add(batch);
        Cluster.Batcher.Stepped += Sizes;
        try
        {
            var ta = Run(a, signal: true);
            var tc = Run(c, signal: false);
            await bStarted.Task.WaitAsync(TimeSpan.FromMinutes(2));
            var tb = Run(b, signal: false);
            var results = await Task.WhenAll(ta, tb, tc);
            Assert.Contains(batchSizes, n => n >= 2);     // they really shared U-Net batches
            var batched = results[0].Images[0];
            var pa = TestModel.Pixels(alone.Images[0]);
            var pb = TestModel.Pixels(batched);
            output.WriteLine($"batch sizes seen {string.Join(",", batchSizes.Distinct().Order())}");
            var worst = TensorAssert.Close(Array.ConvertAll(pa, x => (double)x), Array.ConvertAll(pb, x => (double)x), rtol: 0, atol: 1, what: "batched vs alone pixels (levels)");
            output.WriteLine($"batched vs alone: largest pixel difference {worst} levels");
            Assert.Equal(2, results[1].Images.Count);
        }
        finally
        {
            Cluster.Batcher.Stepped -= Sizes;
        }
    }

    [Fact]
    public async Task Stopping_enumeration_disposes_the_call_and_the_server_stops()
    {
        var progress = 0;
        await foreach (var e in Cluster.Client().GenerateAsync(Request(steps: 200)))
            if (e is GenerationEvent.Progress && ++progress == 2) break;   // the typed client disposes the call here
        await WaitUntil(() => Cluster.Batcher.ActiveCount == 0 && Cluster.Batcher.PendingCount == 0);
        var calls = (UnimoG.Hosting.Shutdown.InFlightCalls)Cluster.Gateway.Services.GetService(typeof(UnimoG.Hosting.Shutdown.InFlightCalls))!;
        await WaitUntil(() => calls.Count == 0);
    }

    [Fact]
    public async Task Uploaded_images_are_used_by_SHA256()
    {
        var client = Cluster.Client();
        var png = TestModel.Png(32, 32, 10, 200, 10);
        var reference = await client.UploadImageAsync(png);
        Assert.Equal((32, 32, "PNG"), (reference.Width, reference.Height, reference.Format));
        var request = new GenerateRequest { Prompt = new Prompt { Text = "<img1> on a table" }, Steps = 2, Seed = 1 };
        request.Prompt.Images.Add(new ImageInput { Sha256 = reference.Sha256 });
        var byReference = await client.GenerateImagesAsync(request);
        request.Prompt.Images[0] = new ImageInput { Data = ByteString.CopyFrom(png) };
        var inline = await client.GenerateImagesAsync(request);
        Assert.Equal(inline.Images[0], byReference.Images[0]);
    }

    [Fact]
    public async Task Describe_reports_the_served_model()
    {
        var info = await Cluster.Client().DescribeAsync();
        Assert.Equal(("unimog-mini", true, "mllm", 64, 4, 4, 64, true, 8),
            (info.Model, info.Untrained, info.Encoder, info.CrossAttentionDim, info.LatentChannels, info.VaeScaleFactor, info.DefaultWidth, info.LinearPreview, info.MaxPromptImages));
    }

    private static string Describe(GenerationEvent e) => e switch
    {
        GenerationEvent.Progress p => $"progress {p.Step}",
        GenerationEvent.Preview p => $"preview {p.Step} {p.Index}",
        GenerationEvent.Image i => $"image {i.Index}",
        GenerationEvent.Completed => "completed",
        _ => e.GetType().Name,
    };

    internal static async Task WaitUntil(Func<bool> condition, int seconds = 30)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("condition not reached in time");
            await Task.Delay(20);
        }
    }
}
