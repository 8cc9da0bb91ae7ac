using UnimoG.Modeling.Sampling;
using UnimoG.Modeling.Diffusion;
using UnimoG.Engines.Trainer.Data;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Training;

/// <summary>
/// Training latents: z = sample(posterior) * scaling_factor, the posterior N(mean, exp(logvar)) coming from the frozen
/// VAE on the fly or from a cache of (mean, logvar) per sample and bucket size written by <c>unimog encode-dataset</c>.
/// Either way the sample is drawn from the run's generator, so cached and on-the-fly runs draw the same numbers.
/// </summary>
public sealed class LatentSource
{
    public const string Kind = "latents";

    private readonly AutoencoderKL? _vae;
    private readonly TensorStore? _cache;

    public double ScalingFactor { get; }
    public double? ShiftFactor { get; }
    public int LatentChannels { get; }
    public int ScaleFactor { get; }

    public LatentSource(AutoencoderKL? vae, string? cacheFolder)
    {
        _vae = vae;
        if (cacheFolder is not null)
        {
            _cache = new TensorStore(cacheFolder, Kind);
            ScalingFactor = (double?)_cache.Settings["scaling_factor"] ?? throw new InvalidDataException($"{cacheFolder}/manifest.json: settings.scaling_factor is missing");
            ShiftFactor = (double?)_cache.Settings["shift_factor"];
            LatentChannels = (int?)_cache.Settings["latent_channels"] ?? 4;
            ScaleFactor = (int?)_cache.Settings["vae_scale_factor"] ?? 8;
        }
        else
        {
            if (vae is null) throw new ArgumentException("latents need the VAE or a latent cache");
            ScalingFactor = vae.Config.ScalingFactor;
            ShiftFactor = vae.Config.ShiftFactor;
            LatentChannels = vae.Config.LatentChannels;
            ScaleFactor = vae.DownscaleFactor;
        }
    }

    public string Description => _cache is not null ? $"latent cache {_cache.Folder}" : "VAE on the fly";

    /// <summary>Cache key of a sample's posterior at a bucket size.</summary>
    public static string CacheKey(string key, Bucket bucket) => $"{key}@{bucket.Width}x{bucket.Height}";

    /// <summary>[B, C, h, w] latents for the examples (all in <paramref name="bucket"/>), drawn from <paramref name="generator"/>.</summary>
    public Tensor Sample(IReadOnlyList<TrainingExample> examples, Bucket bucket, Generator generator)
    {
        using var scope = NewDisposeScope();
        var (mean, logvar) = Posterior(examples, bucket);
        // the sample is drawn on the generator's device (the training device)
        using var posterior = new DiagonalGaussian(mean.to(generator.device), logvar.to(generator.device));
        var z = posterior.Sample(generator);
        return LatentSpace.FromVae(z, ScalingFactor, ShiftFactor).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The same with the noise of rows [Offset, Offset + Count) of a draw for <see cref="RowDraws.Total"/> rows (global
    /// draws of a data-parallel rank); for whole draws exactly <see cref="Sample(IReadOnlyList{TrainingExample}, Bucket, Generator)"/>.
    /// </summary>
    internal Tensor Sample(IReadOnlyList<TrainingExample> examples, Bucket bucket, RowDraws draws)
    {
        if (draws.Whole) return Sample(examples, bucket, draws.Generator);
        using var scope = NewDisposeScope();
        var (mean, logvar) = Posterior(examples, bucket);
        using var posterior = new DiagonalGaussian(mean.to(draws.Generator.device), logvar.to(draws.Generator.device));
        var noise = draws.Randn(mean.shape.AsSpan(1), posterior.Mean.dtype, draws.Generator.device).to(posterior.Mean.device);
        var z = posterior.Mean + posterior.Std() * noise;   // DiagonalGaussian.Sample with the given noise
        return LatentSpace.FromVae(z, ScalingFactor, ShiftFactor).MoveToOuterDisposeScope();
    }

    /// <summary>The posterior's mean and log-variance [B, C, h, w] (no gradients).</summary>
    public (Tensor Mean, Tensor LogVar) Posterior(IReadOnlyList<TrainingExample> examples, Bucket bucket)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        if (_cache is not null)
        {
            var keys = examples.Select(e => CacheKey(e.Key, bucket)).ToList();
            var m = stack(keys.Select(k => _cache.Read(k, "mean", "latent")).ToList());
            var l = stack(keys.Select(k => _cache.Read(k, "logvar", "latent")).ToList());
            return (m.to_type(ScalarType.Float32).MoveToOuterDisposeScope(), l.to_type(ScalarType.Float32).MoveToOuterDisposeScope());
        }
        var pixels = stack(examples.Select(e => ImageTransform.Pixels(e.ImageMember.Read(), bucket, $"{e.ImageMember.Shard}: {e.ImageMember.Name}")).ToList())
            .to(_vae!.parameters().First().device);
        using var posterior = _vae!.Encode(pixels);
        return (posterior.Mean.clone().MoveToOuterDisposeScope(), posterior.LogVar.clone().MoveToOuterDisposeScope());
    }
}
