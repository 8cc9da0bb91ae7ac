using TorchSharp;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Sampling;

/// <summary>
/// The one conversion between the VAE's latents and the diffusion space the U-Net works in (diffusers' pipelines:
/// z_diffusion = (z_vae - shift_factor) * scaling_factor, and back). Scalars are explicit and kept alive by
/// <c>using</c>: an implicit one (tensor / double) is unreachable once its handle is read, so a GC during the native
/// call could finalize it mid-use ("Unknown scalar type", seen once in CI).
/// </summary>
public static class LatentSpace
{
    /// <summary>Diffusion-space latents to VAE latents: latents / scaling_factor (+ shift_factor). A new tensor.</summary>
    public static Tensor ToVae(Tensor latents, double scalingFactor, double? shiftFactor = null)
    {
        using var scale = scalingFactor.ToScalar();
        var z = latents.div(scale);
        if (shiftFactor is not { } shift) return z;
        using (z)
        using (var s = shift.ToScalar())
            return z.add(s);
    }

    /// <summary>VAE latents to the diffusion space: (z - shift_factor) * scaling_factor. A new tensor.</summary>
    public static Tensor FromVae(Tensor z, double scalingFactor, double? shiftFactor = null)
    {
        using var scale = scalingFactor.ToScalar();
        if (shiftFactor is not { } shift) return z.mul(scale);
        using var s = shift.ToScalar();
        using var shifted = z.sub(s);
        return shifted.mul(scale);
    }
}
