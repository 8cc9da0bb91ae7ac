using UnimoG.Modeling.Images;
using UnimoG.Modeling.Schedulers;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Sampling;

/// <summary>One generation: image size, sampling settings and the seed of its own generator.</summary>
public sealed record GenerationOptions
{
    public int Height { get; init; } = 512;
    public int Width { get; init; } = 512;
    public int LatentChannels { get; init; } = 4;
    /// <summary>2^(len(vae.block_out_channels) - 1): 8 for Stable Diffusion's VAE.</summary>
    public int VaeScaleFactor { get; init; } = 8;
    public DdimSamplingOptions Sampling { get; init; } = new();
    public long Seed { get; init; }
}

/// <summary>
/// The whole in-process text/multimodal-to-image path over the two contracts: seeded noise -> guided DDIM
/// -> VAE decode -> PNG bytes. The same seed gives the same bytes.
/// </summary>
public static class LatentDiffusion
{
    /// <summary>
    /// One PNG per row of <paramref name="cond"/>. Randomness comes only from a generator seeded with
    /// <see cref="GenerationOptions.Seed"/> (initial noise first, then any eta noise), never the global RNG.
    /// Synchronous on purpose: grad mode is per thread, so never await inside.
    /// </summary>
    public static IReadOnlyList<byte[]> Generate(DiffusionModel model, LatentDecoder decode, INoiseScheduler scheduler, Conditioning cond,
        Conditioning? uncond, GenerationOptions options, StepCallback? callback = null, CancellationToken cancellationToken = default)
    {
        if (options.Height % options.VaeScaleFactor != 0 || options.Width % options.VaeScaleFactor != 0)
            throw new ArgumentException($"height and width must be divisible by {options.VaeScaleFactor}, got {options.Height}x{options.Width}");
        using var noGrad = no_grad();
        var generator = new Generator((ulong)options.Seed);
        long[] shape = [cond.BatchSize, options.LatentChannels, options.Height / options.VaeScaleFactor, options.Width / options.VaeScaleFactor];
        // No dispose scope around the loop: the callback's tensors are the caller's business; ours are disposed here.
        using var run = scheduler.Start(options.Sampling.Settings, Samplers.From(generator));
        using var noise = Samplers.InitialNoise(run, shape, generator);                               // [B, C, h, w]
        using var latents = Samplers.Sample(model, run, noise, cond, uncond, options.Sampling.GuidanceScale, callback, cancellationToken);
        using var images = decode(latents);                                                           // [B, 3, H, W]
        return Png.EncodeBatch(images);
    }
}
