using static TorchSharp.torch;

namespace UnimoG.Modeling.Schedulers;

/// <summary>Dynamic thresholding of a predicted x_0 (Imagen, arXiv:2205.11487), as diffusers' schedulers share it.</summary>
public static class Thresholds
{
    /// <summary>
    /// Per row, s = the <paramref name="ratio"/> quantile of |x_0|, clamped to [1, <paramref name="maxValue"/>]; x_0 is
    /// clamped to [-s, s] and divided by s (in float32 when the sample is half precision).
    /// </summary>
    public static Tensor Dynamic(Tensor sample, double ratio, double maxValue)
    {
        var dtype = sample.dtype;
        var shape = sample.shape;
        var x = dtype is ScalarType.Float32 or ScalarType.Float64 ? sample : sample.to_type(ScalarType.Float32);
        x = x.reshape(shape[0], -1);                                                           // [B, C*H*W]
        var q = tensor(ratio, dtype: x.dtype);
        var s = quantile(x.abs(), q, dim: 1, keepdim: false).clamp(1, maxValue).unsqueeze(1);   // [B, 1]
        x = minimum(maximum(x, -s), s) / s;
        return x.reshape(shape).to_type(dtype);
    }
}
