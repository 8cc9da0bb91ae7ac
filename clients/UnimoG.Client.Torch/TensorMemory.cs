using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace UnimoG.Client.Torch;

/// <summary>Native memory of a contiguous CPU tensor as <see cref="Memory{T}"/> (the manager keeps the tensor referenced).</summary>
internal sealed unsafe class TensorMemory : MemoryManager<byte>
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
