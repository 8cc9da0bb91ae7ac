using static TorchSharp.torch;

namespace UnimoG.Modeling.Sampling;

/// <summary>
/// The model as samplers see it (k-diffusion's "denoiser" contract): the U-Net's raw output (epsilon, v or x_0,
/// whatever the scheduler's prediction_type says) for <paramref name="sample"/> [B, C, h, w] at
/// <paramref name="timesteps"/> [B] (float32) under <paramref name="cond"/> (B rows). Returns a new tensor.
/// </summary>
public delegate Tensor DiffusionModel(Tensor sample, Tensor timesteps, Conditioning cond);

/// <summary>Latents as the sampler produced them [B, C, h, w] -> images [B, 3, H, W] in [-1, 1]. Returns a new tensor.</summary>
public delegate Tensor LatentDecoder(Tensor latents);
