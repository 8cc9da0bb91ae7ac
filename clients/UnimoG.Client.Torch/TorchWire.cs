using UnimoG.Contracts.Tensors;
using static TorchSharp.torch;

namespace UnimoG.Client.Torch;

/// <summary>Torch tensors to and from <see cref="WireTensor"/>s, for callers who want tensors.</summary>
public static class TorchWire
{
    /// <summary>
    /// <paramref name="tensor"/> as a wire tensor named <paramref name="name"/>, in its own dtype. A contiguous CPU
    /// tensor is wrapped without a copy (the wire tensor holds its own handle to the storage); a CPU tensor that is not
    /// contiguous is copied; a device tensor is copied once into pinned host memory (the DMA engine copies pinned pages
    /// directly; pageable memory would be staged through a pinned buffer by the driver anyway). The caller keeps owning
    /// <paramref name="tensor"/>; dispose the result when it is sent.
    /// </summary>
    public static WireTensor ToWire(this Tensor tensor, string name)
    {
        using var scope = NewDisposeScope();
        var host = tensor.device_type == TorchSharp.DeviceType.CPU
            ? tensor.is_contiguous() ? tensor.alias() : tensor.contiguous()
            : Pinned(tensor);
        // The wire tensor owns this handle: no enclosing dispose scope may free the memory under it.
        host.DetachFromDisposeScope();
        var header = new TensorHeader(name, TorchTensorStreams.DataType(tensor.dtype, name), host.shape);
        return new WireTensor(header, new TensorMemory(host).Memory, host);
    }

    /// <summary>A device tensor copied into a pinned host tensor of its shape and dtype (CUDA builds only; never run here).</summary>
    private static Tensor Pinned(Tensor device)
    {
        var host = empty(device.shape, dtype: device.dtype).pin_memory();
        host.copy_(device);
        return host;
    }

    /// <summary>A new tensor with the wire tensor's values, on <paramref name="device"/> (default CPU) and in <paramref name="dtype"/> (default its own).</summary>
    public static Tensor ToTorch(this WireTensor wire, Device? device = null, ScalarType? dtype = null)
    {
        var t = empty(wire.Header.Shape, dtype: TorchTensorStreams.ToScalarType(wire.DataType));
        wire.Bytes.Span.CopyTo(t.bytes);
        if ((device is null || device.type == TorchSharp.DeviceType.CPU) && (dtype is null || dtype == t.dtype)) return t;
        using (t)
            return t.to(dtype ?? t.dtype, device ?? t.device);
    }
}
