using Grpc.Core;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;

namespace UnimoG.Client;

/// <summary>The UploadImage call, shared by the encoder and gateway clients.</summary>
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
