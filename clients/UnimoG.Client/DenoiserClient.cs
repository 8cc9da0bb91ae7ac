using System.Runtime.CompilerServices;
using Grpc.Core;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;

namespace UnimoG.Client;

/// <summary>The denoiser over gRPC: conditions streamed copy-free from their memory, updates read as they come.</summary>
public sealed class DenoiserClient(Denoiser.DenoiserClient grpc, TensorLimits? limits = null) : IDenoiserClient
{
    public Denoiser.DenoiserClient Grpc { get; } = grpc;

    public async IAsyncEnumerable<DenoiseUpdate> DenoiseAsync(DenoiseOptions options, WireConditioning cond, WireConditioning? uncond,
        [EnumeratorCancellation] CancellationToken cancellationToken = default, DateTime? deadline = null)
    {
        using var call = Grpc.Denoise(deadline: deadline, cancellationToken: cancellationToken);
        await SendAsync(call.RequestStream, options, cond, uncond, cancellationToken).ConfigureAwait(false);
        using var assembler = new TensorAssembler(limits ?? new TensorLimits());
        WireTensor? latent = null;
        try
        {
            await foreach (var e in Streams.ReadAll(call.ResponseStream, cancellationToken).ConfigureAwait(false))
            {
                switch (e.EventCase)
                {
                    case DenoiseEvent.EventOneofCase.Queued:
                        yield return new DenoiseUpdate.Queued(e.Queued);
                        break;
                    case DenoiseEvent.EventOneofCase.Step:
                        yield return new DenoiseUpdate.Step(e.Step);
                        break;
                    case DenoiseEvent.EventOneofCase.Preview when e.Preview.Kind != PreviewKind.Latent:
                        yield return new DenoiseUpdate.LinearPreview(e.Preview.Step, e.Preview.Png.Select(p => p.ToByteArray()).ToList());
                        break;
                    case DenoiseEvent.EventOneofCase.Chunk:
                        Accept(assembler, e.Chunk);
                        if (!e.Chunk.Last) break;
                        if (assembler.Tensors.ContainsKey(TensorNames.Latent))
                            latent = Take(assembler, TensorNames.Latent);
                        else if (assembler.Tensors.Keys.Select(k => (Name: k, Step: TensorNames.PreviewStep(k))).FirstOrDefault(p => p.Step is not null) is { Step: { } step } preview)
                            yield return new DenoiseUpdate.LatentPreview(step, Take(assembler, preview.Name));
                        break;
                    case DenoiseEvent.EventOneofCase.Completed:
                        var final = latent ?? throw new UnimoGException(StatusCode.Internal, "the denoiser completed without sending the latent");
                        latent = null;
                        yield return new DenoiseUpdate.Final(final, e.Completed);
                        break;
                }
            }
        }
        finally
        {
            latent?.Dispose();
        }
    }

    /// <summary>Options, then the condition chunks; a refused stream is reported by the response, so write errors are left to it.</summary>
    private static async Task SendAsync(IClientStreamWriter<DenoiseRequest> writer, DenoiseOptions options, WireConditioning cond, WireConditioning? uncond, CancellationToken ct)
    {
        try
        {
            await writer.WriteAsync(new DenoiseRequest { Options = options }, ct).ConfigureAwait(false);
            foreach (var (name, tensor) in Conditions(cond, uncond))
                foreach (var chunk in tensor.Chunks(name))
                    await writer.WriteAsync(new DenoiseRequest { Chunk = chunk }, ct).ConfigureAwait(false);
            await writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            // The server ended the call early (e.g. InvalidArgument); its status comes with the response stream.
        }
    }

    /// <summary>The Denoise stream's tensors under their contract names (<see cref="TensorNames"/>).</summary>
    public static IEnumerable<(string Name, WireTensor Tensor)> Conditions(WireConditioning cond, WireConditioning? uncond)
    {
        yield return (TensorNames.CondHiddenStates, cond.HiddenStates);
        yield return (TensorNames.CondAttentionMask, cond.AttentionMask);
        if (uncond is null) yield break;
        yield return (TensorNames.UncondHiddenStates, uncond.HiddenStates);
        yield return (TensorNames.UncondAttentionMask, uncond.AttentionMask);
    }

    private static void Accept(TensorAssembler assembler, TensorChunk chunk)
    {
        try
        {
            assembler.Accept(chunk);
        }
        catch (TensorStreamException e)
        {
            throw new UnimoGException(StatusCode.Internal, $"the denoiser sent a broken tensor stream: {e.Message}", e);
        }
    }

    private static WireTensor Take(TensorAssembler assembler, string name)
    {
        var tensor = WireTensor.Take(assembler, name);
        if (tensor.Shape.Count != 4 || !tensor.DataType.IsFloat())
        {
            tensor.Dispose();
            throw new UnimoGException(StatusCode.Internal, $"the denoiser sent {tensor.Header}: expected a float [N, C, h, w]");
        }
        return tensor;
    }

    public Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default) =>
        Streams.Call(async () => await Grpc.DescribeAsync(new DescribeRequest(), cancellationToken: cancellationToken));
}
