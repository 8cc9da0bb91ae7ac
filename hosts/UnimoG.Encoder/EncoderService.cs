using UnimoG.Hosting;
using UnimoG.Engines.Inference;
using Grpc.Core;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Hosting.Shutdown;
using UnimoG.Engines.Telemetry;

namespace UnimoG.Encoder;

/// <summary>The <c>Encoder</c> gRPC service: a thin adapter over <see cref="EncoderEngine"/>.</summary>
public sealed class EncoderService(ModelSlot<EncoderEngine> model, UnimoGMetrics metrics) : UnimoG.Contracts.V1.Encoder.EncoderBase
{
    public override async Task Encode(EncodeRequest request, IServerStreamWriter<EncodeResponse> responseStream, ServerCallContext context)
    {
        var ct = context.CallToken();
        var engine = model.Value;
        using var encoded = await Task.Run(() => engine.Encode(request, ct), ct);
        await WriteAsync(encoded, request.Key, responseStream, ct);
    }

    public override async Task EncodeMany(IAsyncStreamReader<EncodeRequest> requestStream, IServerStreamWriter<EncodeResponse> responseStream, ServerCallContext context)
    {
        var ct = context.CallToken();
        var engine = model.Value;
        while (await requestStream.MoveNext(ct))
        {
            var request = requestStream.Current;
            using var encoded = await Task.Run(() => engine.Encode(request, ct), ct);
            await WriteAsync(encoded, request.Key, responseStream, ct);
        }
    }

    public override Task<ImageRef> UploadImage(IAsyncStreamReader<ImageUploadChunk> requestStream, ServerCallContext context)
    {
        var engine = model.Value;
        return engine.Images.UploadAsync(requestStream, engine.PromptOptions.ImageLimits, context.CallToken());
    }

    public override Task<ModelInfo> Describe(DescribeRequest request, ServerCallContext context) => Task.FromResult(model.Value.Info);

    /// <summary>The condition's tensors as chunks straight from their memory, then the summary.</summary>
    private async Task WriteAsync(WireConditioning encoded, string key, IServerStreamWriter<EncodeResponse> stream, CancellationToken ct)
    {
        metrics.RecordCacheLookup("conditions", encoded.CacheHit);
        foreach (var chunk in encoded.HiddenStates.Chunks())
            await stream.WriteAsync(new EncodeResponse { Key = key, Chunk = chunk }, ct);
        foreach (var chunk in encoded.AttentionMask.Chunks())
            await stream.WriteAsync(new EncodeResponse { Key = key, Chunk = chunk }, ct);
        var summary = new EncodeSummary
        {
            Length = (int)encoded.HiddenStates.Shape[1], Width = (int)encoded.HiddenStates.Shape[2], CacheHit = encoded.CacheHit, Model = encoded.Model,
        };
        summary.Spans.AddRange(encoded.Spans);
        await stream.WriteAsync(new EncodeResponse { Key = key, Summary = summary }, ct);
    }
}
