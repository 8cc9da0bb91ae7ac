using Grpc.Core;
using UnimoG.Client.Tensors;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;

namespace UnimoG.Client;

/// <summary>The encoder over gRPC. Every call is disposed when it ends, however it ends.</summary>
public sealed class EncoderClient(Encoder.EncoderClient grpc, TensorLimits? limits = null) : IEncoderClient
{
    public Encoder.EncoderClient Grpc { get; } = grpc;

    public async Task<EncodedPrompt> EncodeAsync(EncodeRequest request, CancellationToken cancellationToken = default, DateTime? deadline = null)
    {
        using var call = Grpc.Encode(request, deadline: deadline, cancellationToken: cancellationToken);
        using var assembler = TorchTensorStreams.Assembler(limits);
        EncodeSummary? summary = null;
        try
        {
            await foreach (var response in Streams.ReadAll(call.ResponseStream, cancellationToken))
            {
                if (response.ItemCase == EncodeResponse.ItemOneofCase.Chunk) assembler.Accept(response.Chunk);
                else if (response.ItemCase == EncodeResponse.ItemOneofCase.Summary) summary = response.Summary;
            }
            assembler.Complete();
            if (summary is null) throw new UnimoGException(StatusCode.Internal, "the encoder's stream ended without a summary");
            var hidden = assembler.TakeTensor("hidden_states", h => h.DataType == TensorDataType.FP32 && h.Shape.Length == 3 ? null : $"expected FP32 [1, L, D], got {h}");
            try
            {
                var mask = assembler.TakeTensor("attention_mask", h => h.Shape.Length == 2 ? null : $"expected [1, L], got {h}");
                return new EncodedPrompt(hidden, mask, summary.Spans, summary.Model, summary.CacheHit);
            }
            catch
            {
                hidden.Dispose();
                throw;
            }
        }
        catch (TensorStreamException e)
        {
            throw new UnimoGException(StatusCode.Internal, $"the encoder sent a broken tensor stream: {e.Message}", e);
        }
    }

    /// <summary>Uploads an image once (streamed in 1 MiB pieces); prompts may then name it by SHA-256.</summary>
    public Task<ImageRef> UploadImageAsync(ReadOnlyMemory<byte> image, CancellationToken cancellationToken = default) =>
        Upload.SendAsync(Grpc.UploadImage(cancellationToken: cancellationToken), image, cancellationToken);

    public Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default) =>
        Streams.Call(async () => await Grpc.DescribeAsync(new DescribeRequest(), cancellationToken: cancellationToken));
}

internal static class Upload
{
    /// <summary>Streams <paramref name="image"/> over an UploadImage call (encoder or gateway) and returns its reference.</summary>
    public static async Task<ImageRef> SendAsync(AsyncClientStreamingCall<ImageUploadChunk, ImageRef> call, ReadOnlyMemory<byte> image, CancellationToken ct)
    {
        using (call)
            return await Streams.Call(async () =>
            {
                await WriteAsync(call.RequestStream, image, ct).ConfigureAwait(false);
                return await call.ResponseAsync.ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    public static async Task WriteAsync(IClientStreamWriter<ImageUploadChunk> writer, ReadOnlyMemory<byte> image, CancellationToken ct)
    {
        for (var offset = 0; offset < image.Length || offset == 0; offset += TensorLimits.DefaultChunkBytes)
        {
            var n = Math.Min(TensorLimits.DefaultChunkBytes, image.Length - offset);
            await writer.WriteAsync(new ImageUploadChunk { Data = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(image.Slice(offset, n)) }, ct).ConfigureAwait(false);
            if (image.Length == 0) break;
        }
        await writer.CompleteAsync().ConfigureAwait(false);
    }
}
