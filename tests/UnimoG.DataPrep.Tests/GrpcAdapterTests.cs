using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Engines.DataPrep.Grounding;
using UnimoG.Engines.DataPrep.Pipeline;
using UnimoG.Engines.DataPrep.Shards;
using UnimoG.Imaging;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.DataPrep.Tests;

/// <summary>The DataPrep gRPC adapter called in-process with in-memory streams (hosting is tested with the services).</summary>
public class GrpcAdapterTests
{
    private sealed class Reader(IEnumerable<V1.RawSample> items) : IAsyncStreamReader<V1.RawSample>
    {
        private readonly IEnumerator<V1.RawSample> _items = items.GetEnumerator();
        public V1.RawSample Current => _items.Current;
        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(_items.MoveNext());
    }

    private sealed class Writer : IServerStreamWriter<V1.PreparedSample>
    {
        public List<V1.PreparedSample> Written { get; } = [];
        public WriteOptions? WriteOptions { get; set; }
        public Task WriteAsync(V1.PreparedSample message)
        {
            Written.Add(message);
            return Task.CompletedTask;
        }
    }

    private sealed class Context : ServerCallContext
    {
        protected override string MethodCore => "/unimog.v1.DataPrep/Prepare";
        protected override string HostCore => "localhost";
        protected override string PeerCore => "test";
        protected override DateTime DeadlineCore => DateTime.MaxValue;
        protected override Metadata RequestHeadersCore => [];
        protected override CancellationToken CancellationTokenCore => CancellationToken.None;
        protected override Metadata ResponseTrailersCore => [];
        protected override Status StatusCore { get; set; }
        protected override WriteOptions? WriteOptionsCore { get; set; }
        protected override AuthContext AuthContextCore => new(null, []);
        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
            throw new NotSupportedException();
        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }

    [Fact]
    public async Task Samples_stream_in_and_prepared_samples_stream_out_in_order()
    {
        using var dino = new GroundingDino(TestData.GroundingModel, TestData.Vocab);
        var pipeline = new PrepPipeline(new PrepOptions { Masks = MaskMode.Box, ReplaceRate = 1, TextOnlyShare = 0 },
            new MetadataEntityExtractor(), dino);
        var png = PngEncoder.Encode(TestData.Scene(64, 48, (10, 8, 30, 28, 255, 0, 0)));
        var writer = new Writer();
        await new DataPrepService(pipeline).Prepare(new Reader(
        [
            new V1.RawSample { Key = "good", Image = ByteString.CopyFrom(png), Caption = "a red square",
                MetadataJson = """{"entities": ["red square"]}""" },
            new V1.RawSample { Key = "bad", Image = ByteString.CopyFrom(png) },
        ]), writer, new Context());

        Assert.Equal(["good", "bad"], writer.Written.Select(s => s.Key));
        var good = writer.Written[0];
        Assert.Equal("", good.Error);
        var record = JsonSerializer.Deserialize<SampleRecord>(good.SampleJson, Json.Options)!;
        Assert.Equal("a <img1>", record.Prompt);
        var entity = Assert.Single(good.Entities);
        Assert.Equal(("red square", 2, 12), (entity.Phrase, entity.SpanStart, entity.SpanEnd));
        Assert.Equal(record.Entities[0].Box, entity.Box);
        var mask = ImageDecoder.Decode(entity.MaskPng.ToByteArray(), new ImageLimits { MaxPixels = 1 << 20 });
        Assert.Equal((64, 48), (mask.Width, mask.Height));
        Assert.Equal(record.Entities[0].MaskArea, Enumerable.Range(0, 64 * 48).Count(i => mask.Rgba[i * 4] == 255));
        Assert.Equal(["a ", ""], good.Prompt.Parts.Select(p => p.Text));
        Assert.Equal(entity.SegmentPng, good.Prompt.Parts[1].Image.Data);
        Assert.Contains("no caption member", writer.Written[1].Error);
    }
}
