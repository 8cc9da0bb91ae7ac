using static TorchSharp.torch;

namespace UnimoG.Modeling.Images;

/// <summary>
/// The one conversion between 8-bit pixels and the [-1, 1] range the VAE and the U-Net work in (diffusers'
/// <c>VaeImageProcessor.normalize</c> / <c>denormalize</c>).
/// </summary>
public static class PixelRange
{
    /// <summary>uint8 pixels (any shape) to float32 in [-1, 1]: x / 127.5 - 1, so 0 -> -1 and 255 -> 1 exactly.</summary>
    public static Tensor ToSigned(Tensor uint8)
    {
        using var scope = NewDisposeScope();
        return (uint8.to_type(ScalarType.Float32) / 127.5f - 1f).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// [-1, 1] back to uint8 as diffusers' postprocess + numpy_to_pil: (x / 2 + 0.5).clamp(0, 1), then round(x * 255)
    /// half to even, in float32.
    /// </summary>
    public static Tensor ToUint8(Tensor signed)
    {
        using var scope = NewDisposeScope();
        return (signed.to_type(ScalarType.Float32) / 2 + 0.5).clamp(0, 1).mul(255).round().to_type(ScalarType.Byte).MoveToOuterDisposeScope();
    }
}
