using Google.Protobuf;
using Grpc.Core;
using UnimoG.DataPrep.Pipeline;
using UnimoG.DataPrep.Segmentation;
using UnimoG.Imaging;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.DataPrep.Grpc;

/// <summary>
/// The <c>DataPrep</c> gRPC service (protos/unimog/v1/dataprep.proto): a thin adapter that feeds each streamed
/// sample to <see cref="PrepPipeline"/> and streams the prepared sample back, in order. A bad sample answers with
/// <c>error</c> set and the stream goes on; cancellation of the call stops at the next sample.
/// </summary>
public sealed class DataPrepService(PrepPipeline pipeline) : V1.DataPrep.DataPrepBase
{
    public override async Task Prepare(IAsyncStreamReader<V1.RawSample> requestStream,
        IServerStreamWriter<V1.PreparedSample> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        while (await requestStream.MoveNext(ct))
        {
            var result = await pipeline.PrepareAsync(ToRaw(requestStream.Current), ct);
            await responseStream.WriteAsync(ToProto(result), ct);
        }
    }

    /// <summary>The request as shard members: the image under the extension its magic bytes say, caption, metadata.</summary>
    public static RawSample ToRaw(V1.RawSample request)
    {
        var members = new Dictionary<string, byte[]>();
        if (!request.Image.IsEmpty)
            members[Extension(request.Image.Span)] = request.Image.ToByteArray();
        if (request.Caption.Length > 0)
            members["txt"] = System.Text.Encoding.UTF8.GetBytes(request.Caption);
        if (request.MetadataJson.Length > 0)
            members["json"] = System.Text.Encoding.UTF8.GetBytes(request.MetadataJson);
        return new RawSample(request.Key, members);
    }

    private static string Extension(ReadOnlySpan<byte> b) => ImageFormatSniffer.Detect(b) switch
    {
        ImageFormat.Jpeg => "jpg",
        ImageFormat.WebP => "webp",
        _ => "png", // PNG, or other bytes that the decoder then reports as not decodable
    };

    public static V1.PreparedSample ToProto(PrepResult result)
    {
        if (result.Record is not { } record)
            return new V1.PreparedSample { Key = result.Key, Error = result.Error ?? "not prepared" };
        var members = result.Members.ToDictionary(m => m.Name, m => m.Data);
        var sample = new V1.PreparedSample
        {
            Key = record.Key, Caption = record.Caption, TextOnly = record.TextOnly,
            SampleJson = System.Text.Encoding.UTF8.GetString(members[$"{record.Key}.json"]),
            Prompt = new V1.Prompt(),
        };
        foreach (var e in record.Entities)
        {
            var mask = Mask.FromCocoRle(record.Width, record.Height, e.Mask.Counts);
            sample.Entities.Add(new V1.PreparedEntity
            {
                Phrase = e.Phrase, SpanStart = e.Start, SpanEnd = e.End, Box = { e.Box }, Score = e.Score ?? 0f,
                SegmentPng = ByteString.CopyFrom(members[e.Segment]),
                MaskPng = ByteString.CopyFrom(mask.ToPng()),
            });
        }
        foreach (var part in record.PromptParts)
            sample.Prompt.Parts.Add(part.Text is { } text
                ? new V1.PromptPart { Text = text }
                : new V1.PromptPart { Image = new V1.ImageInput { Data = sample.Entities[part.Entity!.Value].SegmentPng } });
        return sample;
    }
}
