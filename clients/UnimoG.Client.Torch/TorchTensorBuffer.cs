using UnimoG.Contracts.Tensors;
using static TorchSharp.torch;

namespace UnimoG.Client.Torch;

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
