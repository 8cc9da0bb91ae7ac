using Google.Protobuf;
using UnimoG.Contracts.V1;

namespace UnimoG.Contracts.Tensors;

/// <summary>
/// Splits a tensor's bytes into <see cref="TensorChunk"/>s without copying: each chunk wraps a slice of
/// the caller's memory (<see cref="UnsafeByteOperations.UnsafeWrap"/>), so that memory must stay alive
/// and unchanged until the chunks are written.
/// </summary>
public static class TensorChunker
{
    public static IEnumerable<TensorChunk> Split(TensorHeader header, ReadOnlyMemory<byte> data, int chunkBytes = TensorLimits.DefaultChunkBytes)
    {
        if (data.Length != header.ByteLength)
            throw new ArgumentException($"tensor '{header.Name}': {data.Length} bytes given for {header} ({header.ByteLength} bytes)", nameof(data));
        if (chunkBytes <= 0) throw new ArgumentOutOfRangeException(nameof(chunkBytes));
        // Keep chunks a whole number of elements so receivers may reinterpret each one on its own.
        var size = header.DataType.ElementSize();
        chunkBytes = Math.Max(size, chunkBytes / size * size);
        var offset = 0;
        do
        {
            var n = Math.Min(chunkBytes, data.Length - offset);
            var chunk = new TensorChunk
            {
                ByteOffset = offset,
                Data = UnsafeByteOperations.UnsafeWrap(data.Slice(offset, n)),
                Last = offset + n == data.Length,
            };
            if (offset == 0)
            {
                chunk.Name = header.Name;
                chunk.Datatype = header.DataType.Name();
                chunk.Shape.AddRange(header.Shape);
            }
            else
            {
                chunk.Name = header.Name;
            }
            yield return chunk;
            offset += n;
        }
        while (offset < data.Length);
    }
}
