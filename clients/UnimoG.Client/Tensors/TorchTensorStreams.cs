using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;
using static TorchSharp.torch;

namespace UnimoG.Client.Tensors;

/// <summary>
/// TorchSharp tensors on the wire without extra copies. Sending: chunks wrap the tensor's native memory
/// (<see cref="Tensor.bytes"/> is a span over it), so the only copy is protobuf's write into the HTTP/2 frame.
/// Receiving: <see cref="TorchTensorBuffer"/> is a preallocated tensor the <see cref="TensorAssembler"/> copies
/// each chunk straight into.
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
        var memory = new TensorMemory(tensor);
        return TensorChunker.Split(header, memory.Memory, chunkBytes);
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

    public static ScalarType ToScalarType(TensorDataType type) => type switch
    {
        TensorDataType.FP32 => TorchSharp.torch.ScalarType.Float32,
        TensorDataType.FP16 => TorchSharp.torch.ScalarType.Float16,
        TensorDataType.BF16 => TorchSharp.torch.ScalarType.BFloat16,
        TensorDataType.FP64 => TorchSharp.torch.ScalarType.Float64,
        TensorDataType.INT64 => TorchSharp.torch.ScalarType.Int64,
        TensorDataType.INT32 => TorchSharp.torch.ScalarType.Int32,
        TensorDataType.INT16 => TorchSharp.torch.ScalarType.Int16,
        TensorDataType.INT8 => TorchSharp.torch.ScalarType.Int8,
        TensorDataType.UINT8 => TorchSharp.torch.ScalarType.Byte,
        _ => TorchSharp.torch.ScalarType.Bool,
    };

    /// <summary>An assembler whose tensors land in freshly allocated torch tensors (take them with <see cref="TakeTensor"/>).</summary>
    public static TensorAssembler Assembler(TensorLimits? limits = null) =>
        new(limits ?? new TensorLimits(), h => new TorchTensorBuffer(h));

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

    /// <summary>Native memory of a contiguous CPU tensor as <see cref="Memory{T}"/> (the manager keeps the tensor referenced).</summary>
    private sealed unsafe class TensorMemory : MemoryManager<byte>
    {
        private readonly Tensor _tensor;

        public TensorMemory(Tensor tensor)
        {
            if (tensor.device_type != TorchSharp.DeviceType.CPU) throw new ArgumentException("only CPU tensors can be streamed; call .cpu() first");
            if (!tensor.is_contiguous()) throw new ArgumentException("only contiguous tensors can be streamed without a copy; call .contiguous() first");
            _tensor = tensor;
        }

        public override Span<byte> GetSpan() => _tensor.bytes;

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            // Native memory never moves: the span's address is stable for the tensor's lifetime.
            var p = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(_tensor.bytes));
            return new MemoryHandle(p + elementIndex);
        }

        public override void Unpin() { }

        protected override void Dispose(bool disposing) { }
    }
}

/// <summary>A receive buffer that is a preallocated torch tensor: chunks are copied straight into its storage.</summary>
public sealed class TorchTensorBuffer : ITensorBuffer
{
    private Tensor? _tensor;

    public TorchTensorBuffer(TensorHeader header) =>
        _tensor = empty(header.Shape, dtype: TorchTensorStreams.ToScalarType(header.DataType));

    /// <summary>Receives into an existing tensor (e.g. a slice of a batch), which must match in size.</summary>
    public TorchTensorBuffer(Tensor destination, TensorHeader header)
    {
        if (!destination.is_contiguous() || destination.NumberOfElements * destination.ElementSize != header.ByteLength)
            throw new TensorStreamException(header.Name, $"destination holds {destination.NumberOfElements * destination.ElementSize} bytes, the stream {header.ByteLength}");
        _tensor = destination;
    }

    public Span<byte> Bytes => _tensor is null ? throw new ObjectDisposedException(nameof(TorchTensorBuffer)) : _tensor.bytes;

    /// <summary>The tensor; the caller owns it from now on.</summary>
    public Tensor Detach()
    {
        var t = _tensor ?? throw new ObjectDisposedException(nameof(TorchTensorBuffer));
        _tensor = null;
        return t;
    }

    public void Dispose()
    {
        _tensor?.Dispose();
        _tensor = null;
    }
}
