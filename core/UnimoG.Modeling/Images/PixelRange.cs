using TorchSharp;
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
        return uint8.to_type(ScalarType.Float32).div(Half).sub(One).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// [-1, 1] back to uint8 as diffusers' postprocess + numpy_to_pil: (x / 2 + 0.5).clamp(0, 1), then round(x * 255)
    /// half to even, in float32.
    /// </summary>
    public static Tensor ToUint8(Tensor signed)
    {
        using var scope = NewDisposeScope();
        return signed.to_type(ScalarType.Float32).div(Two).add(Point5).clamp(Zero, One).mul(Max).round().to_type(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    // Explicit Scalars made once and kept alive: an implicit one (tensor / double) is unreachable once its handle is
    // read, so a GC during the native call could finalize it mid-use ("Unknown scalar type", seen once in CI).
    private static readonly Scalar Half = 127.5f.ToScalar(), One = 1f.ToScalar(), Two = 2f.ToScalar(), Point5 = 0.5f.ToScalar(),
        Zero = 0f.ToScalar(), Max = 255f.ToScalar();
}
