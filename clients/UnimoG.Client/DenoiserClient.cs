using System.Globalization;
using System.Runtime.CompilerServices;
using Grpc.Core;
using UnimoG.Client.Tensors;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;
using static TorchSharp.torch;

namespace UnimoG.Client;

/// <summary>The denoiser over gRPC: conditions streamed copy-free from the tensors' memory, updates read as they come.</summary>
public sealed class DenoiserClient(Denoiser.DenoiserClient grpc, TensorLimits? limits = null) : IDenoiserClient
{
    public Denoiser.DenoiserClient Grpc { get; } = grpc;

    public async IAsyncEnumerable<DenoiseUpdate> DenoiseAsync(DenoiseOptions options, EncodedPrompt cond, EncodedPrompt? uncond,
        [EnumeratorCancellation] CancellationToken cancellationToken = default, DateTime? deadline = null)
    {
        using var call = Grpc.Denoise(deadline: deadline, cancellationToken: cancellationToken);
        await SendAsync(call.RequestStream, options, cond, uncond, cancellationToken).ConfigureAwait(false);
        using var assembler = TorchTensorStreams.Assembler(limits);
        Tensor? latent = null;
        try
        {
            await foreach (var e in Streams.ReadAll(call.ResponseStream, cancellationToken).ConfigureAwait(false))
            {
                switch (e.EventCase)
                {
                    case DenoiseEvent.EventOneofCase.Step:
                        yield return new DenoiseUpdate.Step(e.Step);
                        break;
                    case DenoiseEvent.EventOneofCase.Preview when e.Preview.Kind != PreviewKind.Latent:
                        yield return new DenoiseUpdate.LinearPreview(e.Preview.Step, e.Preview.Png.Select(p => p.ToByteArray()).ToList());
                        break;
                    case DenoiseEvent.EventOneofCase.Chunk:
                        Accept(assembler, e.Chunk);
                        if (!e.Chunk.Last) break;
                        if (assembler.Tensors.ContainsKey("latent"))
                        {
                            latent = Take(assembler, "latent");
                        }
                        else if (assembler.Tensors.Keys.FirstOrDefault(k => k.StartsWith("preview.", StringComparison.Ordinal)) is { } name)
                        {
                            var step = int.Parse(name["preview.".Length..], CultureInfo.InvariantCulture);
                            yield return new DenoiseUpdate.LatentPreview(step, Take(assembler, name));
                        }
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
    private static async Task SendAsync(IClientStreamWriter<DenoiseRequest> writer, DenoiseOptions options, EncodedPrompt cond, EncodedPrompt? uncond, CancellationToken ct)
    {
        try
        {
            await writer.WriteAsync(new DenoiseRequest { Options = options }, ct).ConfigureAwait(false);
            foreach (var (name, tensor) in Conditions(cond, uncond))
                foreach (var chunk in TorchTensorStreams.Chunks(name, tensor))
                    await writer.WriteAsync(new DenoiseRequest { Chunk = chunk }, ct).ConfigureAwait(false);
            await writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            // The server ended the call early (e.g. InvalidArgument); its status comes with the response stream.
        }
    }

    public static IEnumerable<(string Name, Tensor Tensor)> Conditions(EncodedPrompt cond, EncodedPrompt? uncond)
    {
        yield return ("cond.hidden_states", cond.HiddenStates);
        yield return ("cond.attention_mask", cond.AttentionMask);
        if (uncond is null) yield break;
        yield return ("uncond.hidden_states", uncond.HiddenStates);
        yield return ("uncond.attention_mask", uncond.AttentionMask);
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

    private static Tensor Take(TensorAssembler assembler, string name) =>
        assembler.TakeTensor(name, h => h.DataType == TensorDataType.FP32 && h.Shape.Length == 4 ? null : $"expected FP32 [N, C, h, w], got {h}");

    public Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default) =>
        Streams.Call(async () => await Grpc.DescribeAsync(new DescribeRequest(), cancellationToken: cancellationToken));
}
