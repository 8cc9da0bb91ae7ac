using static TorchSharp.torch;

namespace UnimoG.Modeling.Sampling;

/// <summary>The adapter points between model code and the sampling contracts.</summary>
public static class SamplingAdapters
{
    /// <summary>
    /// A diffusers-style <c>UNet2DConditionModel.forward(sample, timestep, encoder_hidden_states,
    /// encoder_attention_mask)</c> as a <see cref="DiffusionModel"/>: the conditioning's hidden states and key mask
    /// become the cross-attention inputs. The U-Net computes in its weights' dtype; its output comes back in float32,
    /// where guidance and the scheduler work (diffusers' DPM-Solver and Euler upcast the same way; we do it for every
    /// scheduler, so a bfloat16 U-Net never rounds the sampler's state).
    /// </summary>
    public static DiffusionModel FromUNet(Func<Tensor, Tensor, Tensor, Tensor?, Tensor> forward) =>
        (sample, timesteps, cond) =>
        {
            var output = forward(sample, timesteps, cond.HiddenStates, cond.AttentionMask);
            if (output.dtype == ScalarType.Float32) return output;
            using (output)
                return output.to_type(ScalarType.Float32);
        };

    /// <summary>
    /// An <c>AutoencoderKL.decode</c> as a <see cref="LatentDecoder"/>: like diffusers' pipelines it decodes
    /// latents / scaling_factor (+ shift_factor when the VAE config has one).
    /// </summary>
    public static LatentDecoder FromVae(Func<Tensor, Tensor> decode, double scalingFactor, double? shiftFactor = null) =>
        latents =>
        {
            using var scope = NewDisposeScope();
            using var z = LatentSpace.ToVae(latents, scalingFactor, shiftFactor);
            return decode(z).MoveToOuterDisposeScope();
        };
}
