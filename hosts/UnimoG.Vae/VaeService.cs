using UnimoG.Hosting;
using UnimoG.Engines.Inference;
using Grpc.Core;
using UnimoG.Client.Torch;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;
using UnimoG.Hosting.Shutdown;
using UnimoG.Engines.Telemetry;
using UnimoG.Engines;

namespace UnimoG.Vae;

/// <summary>The <c>Vae</c> gRPC service: a thin adapter over <see cref="VaeEngine"/>.</summary>
public sealed class VaeService(ModelSlot<VaeEngine> model, UnimoGMetrics metrics) : UnimoG.Contracts.V1.Vae.VaeBase
{
    public override async Task Decode(IAsyncStreamReader<DecodeRequest> requestStream, IServerStreamWriter<DecodedImage> responseStream, ServerCallContext context)
    {
        var ct = context.CallToken();
        var engine = model.Value;
        using var assembler = TorchTensorStreams.Assembler(engine.Options.TensorLimits);
        var first = true;
        while (await requestStream.MoveNext(ct))
        {
            var item = requestStream.Current;
            if (item.ItemCase == DecodeRequest.ItemOneofCase.Options)
            {
                if (!first) throw new InvalidFieldException("options", "only the first message may carry options");
                ModelInfos.CheckModel(item.Options.Model, engine.Folder.Id, "options.model");
            }
            else
            {
                assembler.Accept(item.Chunk);
            }
            first = false;
        }
        assembler.Complete();
        if (assembler.Tensors.Keys.FirstOrDefault(k => k != TensorNames.Latent) is { } other)
            throw new TensorStreamException(other, "is not an input of Decode (expected 'latent')");
        using var latent = assembler.TakeTensor(TensorNames.Latent);
        var pngs = await Task.Run(() => engine.Decode(latent), ct);
        for (var i = 0; i < pngs.Count; i++)
            await responseStream.WriteAsync(new DecodedImage { Index = i, Png = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(pngs[i]) }, ct);
        metrics.ImagesServed.Add(pngs.Count);
    }

    public override async Task Encode(EncodeImageRequest request, IServerStreamWriter<TensorChunk> responseStream, ServerCallContext context)
    {
        var ct = context.CallToken();
        var engine = model.Value;
        ModelInfos.CheckModel(request.Model, engine.Folder.Id);
        var (latent, mean, logvar) = await Task.Run(() => engine.Encode(request.Image.ToByteArray(), request.Sample ? request.Seed : null), ct);
        using (latent)
        using (mean)
        using (logvar)
        {
            using (var wire = latent.ToWire(TensorNames.Latent))
                foreach (var chunk in wire.Chunks()) await responseStream.WriteAsync(chunk, ct);
            if (!request.IncludeDistribution) return;
            using (var wire = mean.ToWire(TensorNames.Mean))
                foreach (var chunk in wire.Chunks()) await responseStream.WriteAsync(chunk, ct);
            using (var wire = logvar.ToWire(TensorNames.LogVar))
                foreach (var chunk in wire.Chunks()) await responseStream.WriteAsync(chunk, ct);
        }
    }

    public override Task<ModelInfo> Describe(DescribeRequest request, ServerCallContext context) => Task.FromResult(model.Value.Info);
}
