using UnimoG.Hosting;
using UnimoG.Engines.Inference;
using Grpc.Core;
using UnimoG.Client.Tensors;
using UnimoG.Contracts.V1;
using UnimoG.Hosting.Shutdown;
using UnimoG.Engines.Telemetry;
using UnimoG.Engines;

namespace UnimoG.Encoder;

/// <summary>The <c>Encoder</c> gRPC service: a thin adapter over <see cref="EncoderEngine"/>.</summary>
public sealed class EncoderService(ModelSlot<EncoderEngine> model, UnimoGMetrics metrics) : UnimoG.Contracts.V1.Encoder.EncoderBase
{
    public override async Task Encode(EncodeRequest request, IServerStreamWriter<EncodeResponse> responseStream, ServerCallContext context)
    {
        var ct = context.CallToken();
        var engine = model.Value;
        using var encoded = await Task.Run(() => engine.Encode(request), ct);
        await WriteAsync(encoded, request.Key, engine.Folder.Id, responseStream, ct);
    }

    public override async Task EncodeMany(IAsyncStreamReader<EncodeRequest> requestStream, IServerStreamWriter<EncodeResponse> responseStream, ServerCallContext context)
    {
        var ct = context.CallToken();
        var engine = model.Value;
        while (await requestStream.MoveNext(ct))
        {
            var request = requestStream.Current;
            using var encoded = await Task.Run(() => engine.Encode(request), ct);
            await WriteAsync(encoded, request.Key, engine.Folder.Id, responseStream, ct);
        }
    }

    public override Task<ImageRef> UploadImage(IAsyncStreamReader<ImageUploadChunk> requestStream, ServerCallContext context)
    {
        var engine = model.Value;
        return engine.Images.UploadAsync(requestStream, engine.PromptOptions.ImageLimits, context.CallToken());
    }

    public override Task<ModelInfo> Describe(DescribeRequest request, ServerCallContext context) => Task.FromResult(model.Value.Info);

    /// <summary>"hidden_states" and "attention_mask" as chunks straight from the tensors' memory, then the summary.</summary>
    private async Task WriteAsync(EncodedCondition encoded, string key, string modelId, IServerStreamWriter<EncodeResponse> stream, CancellationToken ct)
    {
        metrics.RecordCacheLookup("conditions", encoded.CacheHit);
        var c = encoded.Condition;
        foreach (var chunk in TorchTensorStreams.Chunks("hidden_states", c.HiddenStates))
            await stream.WriteAsync(new EncodeResponse { Key = key, Chunk = chunk }, ct);
        foreach (var chunk in TorchTensorStreams.Chunks("attention_mask", c.AttentionMask!))
            await stream.WriteAsync(new EncodeResponse { Key = key, Chunk = chunk }, ct);
        var summary = new EncodeSummary { Length = (int)c.Length, Width = (int)c.Width, CacheHit = encoded.CacheHit, Model = modelId };
        if (c.Spans.Count > 0)
            summary.Spans.AddRange(c.Spans[0].Select(s => new VisualSpan { ImageIndex = s.ImageIndex, Start = s.Start, End = s.End }));
        await stream.WriteAsync(new EncodeResponse { Key = key, Summary = summary }, ct);
    }
}
