using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>
/// Where an encoder computes: the dtype and device of its weights. A forward casts its floating inputs there at the
/// model's entry (transformers' <c>pixel_values.to(dtype=target_dtype)</c>), moves ids there keeping them int64, and
/// creates every mask, buffer and position there: never at libtorch's process-wide defaults.
/// </summary>
internal static class Compute
{
    /// <summary><paramref name="x"/> in <paramref name="weight"/>'s dtype on its device (a new handle; no copy when it is there already).</summary>
    public static Tensor CastLike(this Tensor x, Tensor weight) => x.to(weight.dtype, weight.device);

    /// <summary>Ids or a 1/0 mask on <paramref name="weight"/>'s device, keeping their integer dtype (a new handle).</summary>
    public static Tensor OnDeviceOf(this Tensor ids, Tensor weight) => ids.to(weight.device);

    /// <summary>The most negative finite value of <paramref name="dtype"/> (torch.finfo(dtype).min): float.MinValue
    /// overflows to -inf in bfloat16 and float16, and a row of -inf softmaxes to NaN.</summary>
    public static double MinOf(ScalarType dtype) => finfo(dtype).min;
}
