using UnimoG.Engines.Gateway;
using Grpc.Core;
using UnimoG.Contracts.V1;
using UnimoG.Hosting.Logging;
using UnimoG.Hosting.Shutdown;

namespace UnimoG.Gateway;

/// <summary>The public <c>Gateway</c> gRPC service: a thin adapter over <see cref="GenerationPipeline"/>.</summary>
public sealed class GatewayService(GenerationPipeline pipeline) : UnimoG.Contracts.V1.Gateway.GatewayBase
{
    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateEvent> responseStream, ServerCallContext context)
    {
        var ct = context.CallToken();
        // The caller's deadline goes down to every service this call uses.
        DateTime? deadline = context.Deadline == DateTime.MaxValue ? null : context.Deadline;
        var id = RequestId.Current ?? Guid.NewGuid().ToString("N");
        await foreach (var e in pipeline.GenerateAsync(request, id, ct, deadline))
            await responseStream.WriteAsync(e, ct);
    }

    public override Task<ImageRef> UploadImage(IAsyncStreamReader<ImageUploadChunk> requestStream, ServerCallContext context) =>
        pipeline.Uploads.UploadAsync(requestStream, pipeline.Options.ImageLimits, context.CallToken());

    public override Task<ImageRef> PutImage(PutImageRequest request, ServerCallContext context) =>
        Task.FromResult(pipeline.Uploads.Keep(request.Data.ToByteArray(), pipeline.Options.ImageLimits));

    public override Task<ModelInfo> Describe(DescribeRequest request, ServerCallContext context) => pipeline.ModelAsync(context.CallToken());
}
