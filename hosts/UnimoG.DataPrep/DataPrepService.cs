using UnimoG.Engines.DataPrep;
using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using UnimoG.Engines.DataPrep.Pipeline;
using UnimoG.Engines.DataPrep.Segmentation;
using UnimoG.Hosting.Shutdown;
using UnimoG.Engines.Telemetry;
using UnimoG.Imaging;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.DataPrep;

/// <summary>
/// The <c>DataPrep</c> gRPC service (contract/unimog/v1/dataprep.proto): a thin adapter that feeds each streamed
/// sample to <see cref="PrepPipeline"/> and streams the prepared sample back, in order. A bad sample (undecodable
/// image, missing caption, ...) answers with <c>error</c> set and the stream goes on; a sample over the API's byte
/// limits ends the call with InvalidArgument naming the field (<c>samples[3].image: ...</c>); cancellation stops at
/// the next sample (or inside the models, between runs).
/// </summary>
/// <param name="pipeline">The pipeline, asked at each call (the host's is made in the background and throws Unavailable until then).</param>
/// <param name="maxSendBytes">The host's largest response message (<c>Hosting:MaxSendMessageBytes</c>): a prepared sample
/// that would not fit is answered with its error instead, so the stream goes on.</param>
public sealed class DataPrepService(Func<PrepPipeline> pipeline, DataPrepOptions limits, UnimoGMetrics? metrics = null,
    ILogger<DataPrepService>? log = null, int maxSendBytes = int.MaxValue) : V1.DataPrep.DataPrepBase
{
    private readonly ILogger _log = (ILogger?)log ?? NullLogger.Instance;

    /// <summary>An adapter over a ready pipeline (tests, tools), with the default limits.</summary>
    public DataPrepService(PrepPipeline pipeline) : this(() => pipeline, new DataPrepOptions()) { }

    public override async Task Prepare(IAsyncStreamReader<V1.RawSample> requestStream,
        IServerStreamWriter<V1.PreparedSample> responseStream, ServerCallContext context)
    {
        var ct = context.CallToken();
        var p = pipeline();
        for (var index = 0; await requestStream.MoveNext(ct); index++)
        {
            var request = requestStream.Current;
            CheckLimits(request, index);
            var started = Stopwatch.GetTimestamp();
            PrepResult result;
            using (var span = UnimoGTelemetry.Source.StartActivity("prepare sample"))
            {
                span?.SetTag("unimog.sample.key", request.Key);
                result = await p.PrepareAsync(ToRaw(request), ct);
                span?.SetTag("unimog.sample.ok", result.Ok);
            }
            metrics?.StepDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("step", "prepare"));
            var reply = ToProto(result);
            if (reply.CalculateSize() is var size && size > maxSendBytes)
                reply = new V1.PreparedSample
                {
                    Key = request.Key,
                    Error = $"the prepared sample is {size} bytes (image, segments and masks), more than Hosting:MaxSendMessageBytes = {maxSendBytes}",
                };
            if (reply.Error.Length > 0)
                _log.LogDebug("sample {Key} not prepared: {Reason}", request.Key, reply.Error);
            await responseStream.WriteAsync(reply, ct);
        }
    }

    /// <summary>The API's byte limits, checked before any decoding: a violation fails the call naming the field.</summary>
    private void CheckLimits(V1.RawSample request, int index)
    {
        var at = $"samples[{index}]";
        if (request.Image.Length > limits.MaxImageBytes)
            throw Invalid($"{at}.image", $"{request.Image.Length} bytes, more than {DataPrepOptions.Section}:MaxImageBytes = {limits.MaxImageBytes} (sample '{request.Key}')");
        if (request.MetadataJson.Length > limits.MaxMetadataBytes)
            throw Invalid($"{at}.metadata_json", $"{request.MetadataJson.Length} characters, more than {DataPrepOptions.Section}:MaxMetadataBytes = {limits.MaxMetadataBytes} (sample '{request.Key}')");
        if (request.Layers.Count > limits.MaxEntities)
            throw Invalid($"{at}.layers", $"{request.Layers.Count} layers, more than {DataPrepOptions.Section}:MaxEntities = {limits.MaxEntities} (sample '{request.Key}')");
        for (var i = 0; i < request.Layers.Count; i++)
            if (request.Layers[i].Length > limits.MaxImageBytes)
                throw Invalid($"{at}.layers[{i}]", $"{request.Layers[i].Length} bytes, more than {DataPrepOptions.Section}:MaxImageBytes = {limits.MaxImageBytes} (sample '{request.Key}')");
    }

    private static RpcException Invalid(string field, string message) =>
        new(new Status(StatusCode.InvalidArgument, $"{field}: {message}"), new Metadata { { "field", field } });

    /// <summary>The request as shard members: the image under the extension its magic bytes say, caption, metadata, layers.</summary>
    public static RawSample ToRaw(V1.RawSample request)
    {
        var members = new Dictionary<string, byte[]>();
        if (!request.Image.IsEmpty)
            members[Extension(request.Image.Span)] = request.Image.ToByteArray();
        if (request.Caption.Length > 0)
            members["txt"] = System.Text.Encoding.UTF8.GetBytes(request.Caption);
        if (request.MetadataJson.Length > 0)
            members["json"] = System.Text.Encoding.UTF8.GetBytes(request.MetadataJson);
        for (var i = 0; i < request.Layers.Count; i++)
            members[$"layer{i}.png"] = request.Layers[i].ToByteArray();
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
