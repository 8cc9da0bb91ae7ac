using UnimoG.Engines.DataPrep;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using UnimoG.Engines.DataPrep.Shards;
using UnimoG.Hosting;
using UnimoG.Imaging;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.DataPrep.Tests;

/// <summary>
/// The DataPrep service hosted as hosts/UnimoG.DataPrep/Program.cs hosts it (the shared hosting defaults, Kestrel on
/// loopback, HTTP/2), called through a real gRPC channel with MultiBench's photos (read from ../shared, never copied).
/// </summary>
public sealed class HostedServiceTests
{
    private static readonly ImageLimits Big = new() { MaxPixels = 1 << 24 };

    private sealed class Host(WebApplication app, GrpcChannel channel) : IAsyncDisposable
    {
        public WebApplication App => app;
        public V1.DataPrep.DataPrepClient Client { get; } = new(channel);
        public GrpcChannel Channel => channel;

        public async ValueTask DisposeAsync()
        {
            channel.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Program.cs's composition, with the listening ports and the settings given.</summary>
    private static WebApplication Build(IDictionary<string, string?> settings)
    {
        var b = WebApplication.CreateBuilder();
        b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hosting:GrpcPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Hosting:MetricsPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Hosting:ListenAddress"] = "127.0.0.1",
            ["Log:MinimumLevel"] = "Warning",
        }.Concat(settings));
        b.AddUnimoGDefaults("dataprep");
        b.AddDataPrep();
        var app = b.Build();
        app.MapUnimoGDefaults();
        app.MapDataPrep();
        return app;
    }

    private static async Task<Host> StartAsync(IDictionary<string, string?> settings)
    {
        var app = Build(settings);
        await app.StartAsync();
        await app.Services.GetRequiredService<BackgroundLoad<DataPrepModels>>().Loaded;
        var port = app.Configuration["Hosting:GrpcPort"];
        var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 });
        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        return new Host(app, channel);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static V1.RawSample Sample(string key, byte[] image, string caption, string entities, params byte[][] layers) => new()
    {
        Key = key, Image = ByteString.CopyFrom(image), Caption = caption, MetadataJson = $"{{\"entities\": {entities}}}",
        Layers = { layers.Select(ByteString.CopyFrom) },
    };

    /// <summary>Sends the samples in one call, reading answers as they come; the status the call ended with, if not OK.</summary>
    private static async Task<(List<V1.PreparedSample> Answers, RpcException? Failure)> PrepareAsync(Host host, params V1.RawSample[] samples)
    {
        using var call = host.Client.Prepare();
        var answers = new List<V1.PreparedSample>();
        var reading = Task.Run(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) answers.Add(call.ResponseStream.Current);
        });
        try
        {
            foreach (var s in samples) await call.RequestStream.WriteAsync(s);
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server ended the call early: its status comes from the response stream.
        }
        try
        {
            await reading;
            return (answers, null);
        }
        catch (RpcException e)
        {
            return (answers, e);
        }
    }

    /// <summary>Pixel bounds [x0, y0, x1, y1) of alpha at least 128 (the documented alpha-mask threshold), and their count.</summary>
    private static (int[] Box, int Area) AlphaBounds(DecodedImage image)
    {
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = 0, y1 = 0, area = 0;
        for (var y = 0; y < image.Height; y++)
        for (var x = 0; x < image.Width; x++)
        {
            if (image.Rgba[(y * image.Width + x) * 4 + 3] < 128) continue;
            (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x + 1), Math.Max(y1, y + 1));
            area++;
        }
        return ([x0, y0, x1, y1], area);
    }

    private static int MaskArea(V1.PreparedEntity e, int width, int height)
    {
        var mask = ImageDecoder.Decode(e.MaskPng.ToByteArray(), Big);
        Assert.Equal((width, height), (mask.Width, mask.Height));
        Assert.All(Enumerable.Range(0, width * height), i => Assert.True(mask.Rgba[i * 4] is 0 or 255));
        return Enumerable.Range(0, width * height).Count(i => mask.Rgba[i * 4] == 255);
    }

    [Fact]
    public async Task Alpha_mode_without_models_prepares_real_photos_streamed_over_gRPC()
    {
        await using var host = await StartAsync(new Dictionary<string, string?>
        {
            ["DataPrep:Masks"] = "alpha", ["DataPrep:ReplaceRate"] = "1", ["DataPrep:TextOnlyShare"] = "0",
            ["DataPrep:MaxImageBytes"] = "1500000",
        });

        // Product cut-outs with transparent backgrounds: the entity's mask is the image's alpha.
        var cap = File.ReadAllBytes(TestData.MultiBench("wearing", "cap.png"));
        var glasses = File.ReadAllBytes(TestData.MultiBench("wearing", "glasses.png"));
        // A photo without alpha, its entity given as an alpha layer: a rectangle around the dog.
        var dog = File.ReadAllBytes(TestData.MultiBench("living", "dog.jpg"));
        var dogImage = ImageDecoder.Decode(dog, Big);
        var layer = new DecodedImage(dogImage.Width, dogImage.Height, new byte[dogImage.Width * dogImage.Height * 4], hasAlpha: true);
        int[] rect = [dogImage.Width / 4, dogImage.Height / 5, dogImage.Width * 3 / 4, dogImage.Height * 9 / 10];
        for (var y = rect[1]; y < rect[3]; y++)
        for (var x = rect[0]; x < rect[2]; x++)
            layer.Rgba[(y * dogImage.Width + x) * 4 + 3] = 255;

        var (answers, failure) = await PrepareAsync(host,
            Sample("cap", cap, "a red cap", """["cap"]"""),
            Sample("broken", dog[..(dog.Length / 2)], "a dog", """["dog"]"""),
            Sample("glasses", glasses, "a pair of glasses", """["glasses"]"""),
            Sample("noalpha", dog, "a dog on the grass", """[{"phrase": "dog", "box": [10, 10, 100, 100]}]"""),
            Sample("dog", dog, "a dog on the grass", """["dog"]""", PngEncoder.Encode(layer)));

        Assert.Null(failure);
        Assert.Equal(["cap", "broken", "glasses", "noalpha", "dog"], answers.Select(a => a.Key));
        // Bad samples answer with their reason in place; the stream goes on.
        Assert.Contains("truncated", answers[1].Error);
        Assert.Contains("the image has no alpha channel and there is no layer image for \"dog\"", answers[3].Error);

        foreach (var (answer, bytes, prompt) in new[] { (answers[0], cap, "a red "), (answers[2], glasses, "a pair of ") })
        {
            Assert.Equal("", answer.Error);
            var image = ImageDecoder.Decode(bytes, Big);
            var (box, area) = AlphaBounds(image);
            var entity = Assert.Single(answer.Entities);
            Assert.Equal(box.Select(v => (float)v), entity.Box);
            Assert.Equal(area, MaskArea(entity, image.Width, image.Height));
            var segment = ImageDecoder.Decode(entity.SegmentPng.ToByteArray(), Big);
            Assert.Equal((box[2] - box[0], box[3] - box[1]), (segment.Width, segment.Height));
            // The segment is the photo's own pixels inside the mask.
            var (sx, sy) = (box[0] + segment.Width / 2, box[1] + segment.Height / 2);
            var (si, pi) = ((segment.Height / 2 * segment.Width + segment.Width / 2) * 4, (sy * image.Width + sx) * 4);
            if (image.Rgba[pi + 3] >= 128)
                Assert.Equal(image.Rgba[pi..(pi + 3)], segment.Rgba[si..(si + 3)]);
            Assert.Equal([prompt, ""], answer.Prompt.Parts.Select(p => p.Text));
            Assert.Equal(entity.SegmentPng, answer.Prompt.Parts[1].Image.Data);
            var record = JsonSerializer.Deserialize<SampleRecord>(answer.SampleJson, Json.Options)!;
            Assert.Equal(("alpha", "alpha", "metadata"), (record.Entities[0].BoxSource, record.Entities[0].MaskSource, record.EntitySource));
        }

        var d = answers[4];
        Assert.Equal("", d.Error);
        var dogEntity = Assert.Single(d.Entities);
        Assert.Equal(("dog", 2, 5), (dogEntity.Phrase, dogEntity.SpanStart, dogEntity.SpanEnd));
        Assert.Equal(rect.Select(v => (float)v), dogEntity.Box);
        Assert.Equal((rect[2] - rect[0]) * (rect[3] - rect[1]), MaskArea(dogEntity, dogImage.Width, dogImage.Height));
        Assert.Equal(["a ", "", " on the grass"], d.Prompt.Parts.Select(p => p.Text));

        // A sample over the byte limit ends the call with InvalidArgument naming it; the samples before it were answered.
        var einstein = File.ReadAllBytes(TestData.MultiBench("living", "einstein.png"));
        var (partial, status) = await PrepareAsync(host,
            Sample("cap", cap, "a red cap", """["cap"]"""),
            Sample("einstein", einstein, "a portrait of einstein", """["einstein"]"""));
        Assert.Equal("cap", Assert.Single(partial).Key);
        Assert.NotNull(status);
        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Contains("samples[1].image", status.Status.Detail);
        Assert.Contains("DataPrep:MaxImageBytes = 1500000", status.Status.Detail);
    }

    [Fact]
    public async Task SAM_mode_loads_the_configured_ONNX_models_once_and_segments_photos()
    {
        await using var host = await StartAsync(new Dictionary<string, string?>
        {
            ["DataPrep:GroundingModel"] = TestData.GroundingModel, ["DataPrep:BertVocab"] = TestData.Vocab,
            ["DataPrep:SamEncoder"] = TestData.SamEncoder, ["DataPrep:SamDecoder"] = TestData.SamDecoder,
            ["DataPrep:ReplaceRate"] = "1", ["DataPrep:TextOnlyShare"] = "0",
        });
        var dog = File.ReadAllBytes(TestData.MultiBench("living", "dog.jpg"));
        var duck = File.ReadAllBytes(TestData.MultiBench("toy", "duck_toy.jpg"));
        var (answers, failure) = await PrepareAsync(host,
            Sample("dog", dog, "a dog sitting on the grass", """["dog"]"""),
            Sample("duck", duck, "a duck toy", """["duck toy"]"""));
        Assert.Null(failure);
        Assert.Equal(["dog", "duck"], answers.Select(a => a.Key));
        foreach (var (answer, bytes) in answers.Zip([dog, duck]))
        {
            Assert.Equal("", answer.Error);
            var entity = Assert.Single(answer.Entities);
            var image = ImageDecoder.Decode(bytes, Big);
            Assert.InRange(MaskArea(entity, image.Width, image.Height), 1, image.Width * image.Height);
            var record = JsonSerializer.Deserialize<SampleRecord>(answer.SampleJson, Json.Options)!;
            Assert.Equal(("grounding", "sam"), (record.Entities[0].BoxSource, record.Entities[0].MaskSource));
            Assert.Equal(record.Entities[0].Box, entity.Box);
            Assert.Equal(record.Entities[0].MaskArea, MaskArea(entity, image.Width, image.Height));
        }
    }

    /// <summary>
    /// Batch-job mode, as compose's dataprep profile and the chart's indexed Job run the image: the host prepares its
    /// slice of the input shards and then stops itself.
    /// </summary>
    [Fact]
    public async Task Batch_job_mode_prepares_its_shard_slice_and_stops_the_host()
    {
        using var tmp = new TestData.TempDir();
        var cap = File.ReadAllBytes(TestData.MultiBench("wearing", "cap.png"));
        var glasses = File.ReadAllBytes(TestData.MultiBench("wearing", "glasses.png"));
        TestData.WriteTar(tmp.Sub("in/a-000.tar"), [("cap.png", cap), ("cap.txt", TestData.Utf8("a red cap")),
            ("cap.json", TestData.Utf8("""{"entities": ["cap"]}"""))]);
        TestData.WriteTar(tmp.Sub("in/a-001.tar"), [("glasses.png", glasses), ("glasses.txt", TestData.Utf8("a pair of glasses")),
            ("glasses.json", TestData.Utf8("""{"entities": ["glasses"]}""")), ("broken.png", cap[..1000]), ("broken.txt", TestData.Utf8("a cap"))]);
        var app = Build(new Dictionary<string, string?>
        {
            ["DataPrep:Masks"] = "alpha", ["DataPrep:Input"] = tmp.Sub("in"), ["DataPrep:Output"] = tmp.Sub("out"),
            ["DataPrep:Shard"] = "1", ["DataPrep:ShardCount"] = "2",
        });
        await using (app)
        {
            await app.StartAsync();
            await app.WaitForShutdownAsync().WaitAsync(TimeSpan.FromSeconds(60)); // the job stops the host when done
        }
        Assert.Equal(0, Environment.ExitCode);
        Assert.False(File.Exists(tmp.Sub("out/a-000.tar")), "shard 0 belongs to the other process of the slice");
        var index = JsonSerializer.Deserialize<ShardIndex>(File.ReadAllBytes(tmp.Sub("out/a-001.index.json")), Json.Options)!;
        Assert.True(index.Complete);
        Assert.Equal(["glasses"], index.Keys);
        Assert.Contains(index.Errors, e => e.Key == "broken");
        ShardValidator.Validate(tmp.Sub("out/a-001.tar"));
    }

    [Fact]
    public void Bad_settings_fail_at_start_naming_every_key()
    {
        var e = Assert.Throws<OptionsValidationException>(() => Build(new Dictionary<string, string?>
        {
            ["DataPrep:SamEncoder"] = "/nonexistent/sam_encoder.onnx",
            ["DataPrep:ReplaceRate"] = "1.5",
            ["DataPrep:Input"] = "/nonexistent/shards",
        }));
        var failures = string.Join("\n", e.Failures);
        Assert.Contains("DataPrep:SamEncoder and DataPrep:SamDecoder go together", failures);
        Assert.Contains("DataPrep:SamEncoder names a file that does not exist: '/nonexistent/sam_encoder.onnx'", failures);
        Assert.Contains("DataPrep:ReplaceRate must be in [0, 1], got 1.5", failures);
        Assert.Contains("DataPrep:Input and DataPrep:Output go together", failures);

        var none = Assert.Throws<OptionsValidationException>(() => Build(new Dictionary<string, string?>()));
        Assert.Contains("DataPrep:Masks is not set: choose sam", Assert.Single(none.Failures));
    }
}
