using Grpc.Core;
using UnimoG.Client.Tensors;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;
using static TorchSharp.torch;

namespace UnimoG.Client;

/// <summary>The VAE over gRPC.</summary>
public sealed class VaeClient(Vae.VaeClient grpc, TensorLimits? limits = null) : IVaeClient
{
    public Vae.VaeClient Grpc { get; } = grpc;

    public async Task<IReadOnlyList<byte[]>> DecodeAsync(Tensor latent, CancellationToken cancellationToken = default, DateTime? deadline = null)
    {
        using var call = Grpc.Decode(deadline: deadline, cancellationToken: cancellationToken);
        try
        {
            foreach (var chunk in TorchTensorStreams.Chunks("latent", latent))
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

    /// <summary>An image to its latent [1, C, h, w] (diffusion space: times scaling_factor); the posterior mean unless <paramref name="seed"/> is given.</summary>
    public async Task<Tensor> EncodeAsync(ReadOnlyMemory<byte> image, ulong? seed = null, CancellationToken cancellationToken = default)
    {
        var request = new EncodeImageRequest { Image = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(image), Sample = seed is not null, Seed = seed ?? 0 };
        using var call = Grpc.Encode(request, cancellationToken: cancellationToken);
        using var assembler = TorchTensorStreams.Assembler(limits);
        await foreach (var chunk in Streams.ReadAll(call.ResponseStream, cancellationToken).ConfigureAwait(false))
            assembler.Accept(chunk);
        assembler.Complete();
        return assembler.TakeTensor("latent");
    }

    public Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default) =>
        Streams.Call(async () => await Grpc.DescribeAsync(new DescribeRequest(), cancellationToken: cancellationToken));
}
