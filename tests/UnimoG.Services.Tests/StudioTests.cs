using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using UnimoG.Contracts.V1;
using UnimoG.Services.Tests.Support;
using UnimoG.Studio;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Services.Tests;

/// <summary>
/// The gateway as the browser studio calls it: gRPC-Web over HTTP/1.1 on the studio's endpoint (generation with
/// previews, cancellation, PutImage, exact previews, the same errors), and the two endpoints' protocols kept apart.
/// </summary>
[Collection("cluster")]
public sealed class StudioTests(ClusterFixture fixture)
{
    private Cluster Cluster => fixture.Cluster;

    private V1.Gateway.GatewayClient Web() => new(Cluster.WebChannel());

    private static async Task<List<GenerateEvent>> Collect(AsyncServerStreamingCall<GenerateEvent> call)
    {
        using (call)
        {
            var events = new List<GenerateEvent>();
            await foreach (var e in call.ResponseStream.ReadAllAsync()) events.Add(e);
            return events;
        }
    }

    [Fact]
    public async Task GrpcWeb_generation_streams_previews_and_cancelling_stops_the_server()
    {
        var request = GenerationTests.Request(steps: 4);
        request.PreviewInterval = 2;
        var events = await Collect(Web().Generate(request));
        Assert.Equal(GenerateEvent.EventOneofCase.Accepted, events[0].EventCase);
        Assert.Equal([1, 2, 3, 4], events.Where(e => e.Progress is not null).Select(e => e.Progress.Step));
        Assert.Equal([2, 4], events.Where(e => e.Preview is not null).Select(e => e.Preview.Step));
        Assert.Single(events, e => e.Image is not null);
        Assert.Equal(GenerateEvent.EventOneofCase.Completed, events[^1].EventCase);

        var slow = GenerationTests.Request(steps: 200, seed: 5);
        slow.PreviewInterval = 1;
        using var stop = new CancellationTokenSource();
        var previews = 0;
        var call = Web().Generate(slow, cancellationToken: stop.Token);
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using (call)
                await foreach (var ev in call.ResponseStream.ReadAllAsync(stop.Token))
                    if (ev.Preview is not null && ++previews == 3) stop.Cancel();
        });
        Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        Assert.Equal(3, previews);
        // The browser's cancel reaches the denoiser: the request leaves the batch long before its 200 steps.
        await GenerationTests.WaitUntil(() => Cluster.Batcher.ActiveCount == 0 && Cluster.Batcher.PendingCount == 0);
    }

    [Fact]
    public async Task The_studio_port_speaks_HTTP1_only_and_the_gRPC_port_HTTP2_only()
    {
        // Plain gRPC (HTTP/2 without TLS) to the studio's port is refused.
        using var h2cToStudio = GrpcChannel.ForAddress(Cluster.StudioAddress);
        await Assert.ThrowsAsync<RpcException>(() => new V1.Gateway.GatewayClient(h2cToStudio).DescribeAsync(new DescribeRequest()).ResponseAsync);
        // gRPC-Web over HTTP/1.1 to the gRPC port is refused; plain gRPC there serves as before.
        await Assert.ThrowsAsync<RpcException>(() => new V1.Gateway.GatewayClient(Cluster.WebChannel(Cluster.GatewayAddress)).DescribeAsync(new DescribeRequest()).ResponseAsync);
        var served = await new V1.Gateway.GatewayClient(Cluster.Channel(Cluster.GatewayAddress)).DescribeAsync(new DescribeRequest());
        Assert.Equal(served, await Web().DescribeAsync(new DescribeRequest()));
        // Only the Gateway service is on the studio's endpoint: health (like the encoder's in --role all) is not.
        var health = await Assert.ThrowsAsync<RpcException>(() => new Health.HealthClient(Cluster.WebChannel()).CheckAsync(new HealthCheckRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, health.StatusCode);

        using var http = new HttpClient();
        using var page = await http.GetAsync(Cluster.StudioAddress);
        Assert.Equal(HttpVersion.Version11, page.Version);
        // The page is whatever the page's build embedded: index.html once it has run, nothing before.
        if (StudioFiles.Embedded().Files.GetFileInfo("index.html").Exists)
            Assert.Equal((HttpStatusCode.OK, "text/html"), (page.StatusCode, page.Content.Headers.ContentType?.MediaType));
        else
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
    }

    [Fact]
    public async Task PutImage_then_generate_by_SHA256()
    {
        var web = Web();
        var first = await web.PutImageAsync(new PutImageRequest { Data = ByteString.CopyFrom(TestModel.Png(40, 30, 200, 30, 30)) });
        var second = await web.PutImageAsync(new PutImageRequest { Data = ByteString.CopyFrom(TestModel.Png(24, 24, 20, 60, 220, 200)) });
        Assert.Equal((40, 30, "PNG", 64), (first.Width, first.Height, first.Format, first.Sha256.Length));

        var request = GenerationTests.Request(steps: 3, seed: 9);
        var byHash = request.Clone();
        byHash.Prompt.Images.Clear();
        byHash.Prompt.Images.Add(new ImageInput { Sha256 = first.Sha256 });
        byHash.Prompt.Images.Add(new ImageInput { Sha256 = second.Sha256 });
        var inline = (await Collect(web.Generate(request))).Single(e => e.Image is not null).Image.Png;
        Assert.Equal(inline, (await Collect(web.Generate(byHash))).Single(e => e.Image is not null).Image.Png);

        var junk = await Assert.ThrowsAsync<RpcException>(() => web.PutImageAsync(new PutImageRequest { Data = ByteString.CopyFromUtf8("not an image") }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, junk.StatusCode);
        Assert.StartsWith("data: ", junk.Status.Detail);
        // The fixture's Generation:MaxImageBytes is 200000: UploadImage's limit, with UploadImage's message.
        var large = await Assert.ThrowsAsync<RpcException>(() => web.PutImageAsync(new PutImageRequest { Data = ByteString.CopyFrom(new byte[200_001]) }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "data: the image is larger than the limit of 200,000 bytes"), (large.StatusCode, large.Status.Detail));
    }

    [Fact]
    public async Task Exact_previews_replace_every_kth_linear_one()
    {
        var request = GenerationTests.Request(steps: 6);
        request.PreviewInterval = 2;
        request.ExactPreviewInterval = 4;
        var previews = (await Collect(Web().Generate(request))).Where(e => e.Preview is not null).Select(e => e.Preview).ToList();
        Assert.Equal([(2, PreviewKind.Linear), (4, PreviewKind.Latent), (6, PreviewKind.Linear)], previews.Select(p => (p.Step, p.Kind)));
        // Linear: the projection at latent resolution (16x16); exact: the VAE's decode at full size (64x64).
        Assert.Equal([16 * 16 * 4, 64 * 64 * 4, 16 * 16 * 4], previews.Select(p => TestModel.Pixels(p.Png.ToByteArray()).Length));
    }

    [Theory]
    [InlineData(2, PreviewKind.Linear, 3, 6, "exact_preview_interval: must be a multiple of preview_interval (2), got 3")]
    [InlineData(2, PreviewKind.Linear, 8, 6, "exact_preview_interval: must be at most steps (6), got 8")]
    [InlineData(2, PreviewKind.Linear, -2, 6, "exact_preview_interval: must be 0 (no exact previews) or positive, got -2")]
    [InlineData(0, PreviewKind.Linear, 2, 6, "exact_preview_interval: needs linear previews (preview_interval > 0), got 2 with preview_interval 0")]
    [InlineData(2, PreviewKind.Latent, 4, 6, "exact_preview_interval: applies to linear previews only: with PREVIEW_KIND_LATENT every preview is exact already; got 4")]
    public async Task Exact_preview_interval_is_checked_by_name(int interval, PreviewKind kind, int exact, int steps, string message)
    {
        var request = GenerationTests.Request(steps: steps);
        (request.PreviewInterval, request.PreviewKind, request.ExactPreviewInterval) = (interval, kind, exact);
        var e = await Assert.ThrowsAsync<RpcException>(() => Collect(Web().Generate(request)));
        Assert.Equal((StatusCode.InvalidArgument, message), (e.StatusCode, e.Status.Detail));
    }
}
