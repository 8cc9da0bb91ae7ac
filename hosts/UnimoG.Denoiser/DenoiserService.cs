using UnimoG.Hosting;
using UnimoG.Engines.Inference;
using Grpc.Core;
using UnimoG.Client;
using UnimoG.Client.Torch;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;
using UnimoG.Hosting.Shutdown;
using UnimoG.Modeling;
using UnimoG.Engines;

namespace UnimoG.Denoiser;

/// <summary>The <c>Denoiser</c> gRPC service: reads options and condition chunks, queues the request, streams its updates.</summary>
public sealed class DenoiserService(ModelSlot<DenoiseBatcher> batcher, DenoiserOptions options) : UnimoG.Contracts.V1.Denoiser.DenoiserBase
{
    public override async Task Denoise(IAsyncStreamReader<DenoiseRequest> requestStream, IServerStreamWriter<DenoiseEvent> responseStream, ServerCallContext context)
    {
        var ct = context.CallToken();
        var b = batcher.Value;
        if (!await requestStream.MoveNext(ct) || requestStream.Current.ItemCase != DenoiseRequest.ItemOneofCase.Options)
            throw new InvalidFieldException("options", "the first message of the stream must carry the options");
        var spec = GenerationSpec.Check(requestStream.Current.Options, b.Model.Info, options.Limits);

        Conditioning cond;
        Conditioning? uncond;
        using (var assembler = TorchTensorStreams.Assembler(options.TensorLimits, h => ConditionCheck.Header(h, b.Model, options)))
        {
            while (await requestStream.MoveNext(ct))
            {
                if (requestStream.Current.ItemCase != DenoiseRequest.ItemOneofCase.Chunk)
                    throw new InvalidFieldException("options", "sent twice: only the first message carries options");
                assembler.Accept(requestStream.Current.Chunk);
            }
            assembler.Complete();
            (cond, uncond) = Conditions(assembler, b.Model);
        }
        using var ticket = b.Submit(spec, cond, uncond, ct);
        await foreach (var update in ticket.Updates.ReadAllAsync(ct))
            await WriteAsync(update, responseStream, ct);
    }

    /// <summary>"cond.*" (required) and "uncond.*" (optional) from the stream; anything else is refused by name.</summary>
    internal (Conditioning Cond, Conditioning? Uncond) Conditions(TensorAssembler assembler, DenoiserModel model)
    {
        string[] known = [TensorNames.CondHiddenStates, TensorNames.CondAttentionMask, TensorNames.UncondHiddenStates, TensorNames.UncondAttentionMask];
        if (assembler.Tensors.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
            throw new TensorStreamException(unknown, $"is not an input of Denoise (expected {string.Join(", ", known)})");
        var cond = Take(assembler, "cond", model) ?? throw new TensorStreamException(TensorNames.CondHiddenStates, "missing from the stream");
        try
        {
            return (cond, Take(assembler, "uncond", model));
        }
        catch
        {
            cond.Dispose();
            throw;
        }
    }

    private Conditioning? Take(TensorAssembler assembler, string prefix, DenoiserModel model)
    {
        var (statesName, maskName) = TensorNames.Condition(prefix);
        bool hasStates = assembler.Tensors.ContainsKey(statesName), hasMask = assembler.Tensors.ContainsKey(maskName);
        if (!hasStates && !hasMask) return null;
        if (!hasMask) throw new TensorStreamException(maskName, $"missing: send it with {statesName}");
        if (!hasStates) throw new TensorStreamException(statesName, $"missing: send it with {maskName}");
        var hidden = assembler.TakeTensor(statesName);
        using var mask = assembler.TakeTensor(maskName);
        try
        {
            return ConditionCheck.Check(prefix, hidden, mask, model, options);
        }
        catch
        {
            hidden.Dispose();
            throw;
        }
    }

    /// <summary>One update as events; latents as chunks straight from their memory.</summary>
    internal static async Task WriteAsync(DenoiseUpdate update, IServerStreamWriter<DenoiseEvent> stream, CancellationToken ct)
    {
        switch (update)
        {
            case DenoiseUpdate.Queued q:
                await stream.WriteAsync(new DenoiseEvent { Queued = q.Value }, ct);
                break;
            case DenoiseUpdate.Step s:
                await stream.WriteAsync(new DenoiseEvent { Step = s.Value }, ct);
                break;
            case DenoiseUpdate.LinearPreview p:
                var preview = new DenoisePreview { Step = p.StepNumber, Kind = PreviewKind.Linear };
                preview.Png.AddRange(p.Pngs.Select(Google.Protobuf.ByteString.CopyFrom));
                await stream.WriteAsync(new DenoiseEvent { Preview = preview }, ct);
                break;
            case DenoiseUpdate.LatentPreview l:
                using (l.Latent)
                {
                    await stream.WriteAsync(new DenoiseEvent { Preview = new DenoisePreview { Step = l.StepNumber, Kind = PreviewKind.Latent } }, ct);
                    foreach (var chunk in l.Latent.Chunks())
                        await stream.WriteAsync(new DenoiseEvent { Chunk = chunk }, ct);
                }
                break;
            case DenoiseUpdate.Final f:
                using (f.Latent)
                {
                    foreach (var chunk in f.Latent.Chunks())
                        await stream.WriteAsync(new DenoiseEvent { Chunk = chunk }, ct);
                }
                await stream.WriteAsync(new DenoiseEvent { Completed = f.Completed }, ct);
                break;
        }
    }

    public override Task<ModelInfo> Describe(DescribeRequest request, ServerCallContext context) => Task.FromResult(batcher.Value.Model.Info);
}
