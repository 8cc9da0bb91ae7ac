using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;
using static TorchSharp.torch;

namespace UnimoG.Client.Torch;

/// <summary>
/// TorchSharp tensors on the wire without extra copies. Sending: chunks wrap the tensor's native memory, so the
/// only copy is protobuf's write into the HTTP/2 frame. Receiving: <see cref="TorchTensorBuffer"/> is a preallocated
/// tensor the <see cref="TensorAssembler"/> copies each chunk straight into.
/// </summary>
public static class TorchTensorStreams
{
    /// <summary>
    /// The chunks of a contiguous CPU tensor under <paramref name="name"/>, wrapping its memory: keep the tensor
    /// alive and unchanged until every chunk is written.
    /// </summary>
    public static IEnumerable<TensorChunk> Chunks(string name, Tensor tensor, int chunkBytes = TensorLimits.DefaultChunkBytes)
    {
        var header = new TensorHeader(name, DataType(tensor.dtype, name), tensor.shape);
        return TensorChunker.Split(header, new TensorMemory(tensor).Memory, chunkBytes);
    }

    /// <summary>The naive way (for comparison in benchmarks): every chunk copies its slice into a new array.</summary>
    public static IEnumerable<TensorChunk> CopiedChunks(string name, Tensor tensor, int chunkBytes = TensorLimits.DefaultChunkBytes)
    {
        var header = new TensorHeader(name, DataType(tensor.dtype, name), tensor.shape);
        using var c = tensor.contiguous();
        var bytes = c.bytes.ToArray();
        foreach (var chunk in TensorChunker.Split(header, bytes, chunkBytes))
        {
            chunk.Data = Google.Protobuf.ByteString.CopyFrom(chunk.Data.Span);
            yield return chunk;
        }
    }

    public static TensorDataType DataType(ScalarType type, string name = "tensor") => type switch
    {
        ScalarType.Float32 => TensorDataType.FP32,
        ScalarType.Float16 => TensorDataType.FP16,
        ScalarType.BFloat16 => TensorDataType.BF16,
        ScalarType.Float64 => TensorDataType.FP64,
        ScalarType.Int64 => TensorDataType.INT64,
        ScalarType.Int32 => TensorDataType.INT32,
        ScalarType.Int16 => TensorDataType.INT16,
        ScalarType.Int8 => TensorDataType.INT8,
        ScalarType.Byte => TensorDataType.UINT8,
        ScalarType.Bool => TensorDataType.BOOL,
        _ => throw new ArgumentException($"tensor '{name}': dtype {type} has no Open Inference Protocol name"),
    };

    /// <summary>The torch type of a contract datatype; a value outside the enumeration is an error, never a guess.</summary>
    public static ScalarType ToScalarType(TensorDataType type) => type switch
    {
        TensorDataType.FP32 => ScalarType.Float32,
        TensorDataType.FP16 => ScalarType.Float16,
        TensorDataType.BF16 => ScalarType.BFloat16,
        TensorDataType.FP64 => ScalarType.Float64,
        TensorDataType.INT64 => ScalarType.Int64,
        TensorDataType.INT32 => ScalarType.Int32,
        TensorDataType.INT16 => ScalarType.Int16,
        TensorDataType.INT8 => ScalarType.Int8,
        TensorDataType.UINT8 => ScalarType.Byte,
        TensorDataType.BOOL => ScalarType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a datatype of the contract"),
    };

    /// <summary>An assembler whose tensors land in freshly allocated torch tensors (take them with <see cref="TakeTensor"/>).</summary>
    /// <param name="check">Called with each tensor's header (its first chunk) before anything is allocated: a problem
    /// it returns refuses the stream naming the tensor, so a wrong shape costs no memory.</param>
    public static TensorAssembler Assembler(TensorLimits? limits = null, Func<TensorHeader, string?>? check = null) =>
        new(limits ?? new TensorLimits(), h => check?.Invoke(h) is { } problem ? throw new TensorStreamException(h.Name, problem) : new TorchTensorBuffer(h));

    /// <summary>Takes a completed tensor out of an assembler built by <see cref="Assembler"/>; the caller owns it.</summary>
    public static Tensor TakeTensor(this TensorAssembler assembler, string name, Func<TensorHeader, string?>? check = null)
    {
        var (header, buffer) = assembler.Take(name);
        using (buffer)
        {
            if (check?.Invoke(header) is { } problem) throw new TensorStreamException(name, problem);
            return ((TorchTensorBuffer)buffer).Detach();
        }
    }
}
