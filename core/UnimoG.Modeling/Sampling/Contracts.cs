using TorchSharp;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Sampling;

/// <summary>
/// The model as samplers see it (k-diffusion style): the U-Net's raw output (epsilon, v or x_0, whatever
/// the scheduler's prediction_type says) for <paramref name="sample"/> [B, C, h, w] at
/// <paramref name="timesteps"/> [B] (int64) under <paramref name="cond"/> (B rows). Returns a new tensor.
/// </summary>
public delegate Tensor Denoiser(Tensor sample, Tensor timesteps, Conditioning cond);

/// <summary>Latents as the sampler produced them [B, C, h, w] -> images [B, 3, H, W] in [-1, 1]. Returns a new tensor.</summary>
public delegate Tensor LatentDecoder(Tensor latents);

/// <summary>The adapter points between model code and the sampling contracts.</summary>
public static class SamplingAdapters
{
    /// <summary>
    /// A diffusers-style <c>UNet2DConditionModel.forward(sample, timestep, encoder_hidden_states,
    /// encoder_attention_mask)</c> as a <see cref="Denoiser"/>: the conditioning's hidden states and key mask
    /// become the cross-attention inputs.
    /// </summary>
    public static Denoiser FromUNet(Func<Tensor, Tensor, Tensor, Tensor?, Tensor> forward) =>
        (sample, timesteps, cond) => forward(sample, timesteps, cond.HiddenStates, cond.AttentionMask);

    /// <summary>
    /// An <c>AutoencoderKL.decode</c> as a <see cref="LatentDecoder"/>: like diffusers' pipelines it decodes
    /// latents / scaling_factor (+ shift_factor when the VAE config has one).
    /// </summary>
    public static LatentDecoder FromVae(Func<Tensor, Tensor> decode, double scalingFactor, double? shiftFactor = null) =>
        latents =>
        {
            using var scope = NewDisposeScope();
            // Explicit Scalars held by `using`: an implicit one (latents / double) is unreachable once its handle is
            // read, so a GC during the native call could finalize it mid-use ("Unknown scalar type", seen once in CI).
            using var scale = scalingFactor.ToScalar();
            var z = latents.div(scale);
            if (shiftFactor is { } shift)
            {
                using var s = shift.ToScalar();
                z = z.add(s);
            }
            return decode(z).MoveToOuterDisposeScope();
        };
}
