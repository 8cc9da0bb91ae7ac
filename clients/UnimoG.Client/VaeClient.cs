using Grpc.Core;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;

namespace UnimoG.Client;

/// <summary>The VAE over gRPC.</summary>
public sealed class VaeClient(Vae.VaeClient grpc, TensorLimits? limits = null) : IVaeClient
{
    public Vae.VaeClient Grpc { get; } = grpc;

    public async Task<IReadOnlyList<byte[]>> DecodeAsync(WireTensor latent, CancellationToken cancellationToken = default, DateTime? deadline = null)
    {
        using var call = Grpc.Decode(deadline: deadline, cancellationToken: cancellationToken);
        try
        {
            foreach (var chunk in latent.Chunks(TensorNames.Latent))
                await call.RequestStream.WriteAsync(new DecodeRequest { Chunk = chunk }, cancellationToken).ConfigureAwait(false);
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            // Refused early: the status comes with the response stream.
        }
        var images = new List<byte[]>();
        await foreach (var image in Streams.ReadAll(call.ResponseStream, cancellationToken).ConfigureAwait(false))
            images.Add(image.Png.ToByteArray());
        return images;
    }

    /// <summary>
    /// An image to its latent [1, C, h, w] (diffusion space: times scaling_factor); the posterior mean unless
    /// <paramref name="seed"/> is given. The caller owns the tensor.
    /// </summary>
    public async Task<WireTensor> EncodeAsync(ReadOnlyMemory<byte> image, ulong? seed = null, CancellationToken cancellationToken = default)
    {
        var request = new EncodeImageRequest { Image = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(image), Sample = seed is not null, Seed = seed ?? 0 };
        using var call = Grpc.Encode(request, cancellationToken: cancellationToken);
        using var assembler = new TensorAssembler(limits ?? new TensorLimits());
        try
        {
            await foreach (var chunk in Streams.ReadAll(call.ResponseStream, cancellationToken).ConfigureAwait(false))
                assembler.Accept(chunk);
            assembler.Complete();
            return WireTensor.Take(assembler, TensorNames.Latent);
        }
        catch (TensorStreamException e)
        {
            throw new UnimoGException(StatusCode.Internal, $"the VAE sent a broken tensor stream: {e.Message}", e);
        }
    }

    public Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default) =>
        Streams.Call(async () => await Grpc.DescribeAsync(new DescribeRequest(), cancellationToken: cancellationToken));
}
