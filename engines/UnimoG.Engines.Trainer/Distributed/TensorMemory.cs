using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Distributed;

/// <summary>
/// The address of a contiguous tensor's first element (host or device memory), for collectives that work in place
/// on it. TorchSharp 0.107 has no public <c>data_ptr()</c>; its native library exports THSTensor_data, which
/// TorchSharp's own accessors use.
/// </summary>
internal static partial class TensorMemory
{
    [LibraryImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    private static partial IntPtr Data(IntPtr tensor);

    public static IntPtr Address(Tensor t)
    {
        if (!t.is_contiguous()) throw new ArgumentException("collectives need a contiguous tensor", nameof(t));
        return Data(t.Handle);
    }
}
