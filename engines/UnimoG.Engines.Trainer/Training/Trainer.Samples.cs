using Microsoft.Extensions.Logging;
using UnimoG.Modeling.Images;
using UnimoG.Modeling.Sampling;
using UnimoG.Modeling.Schedulers;
using UnimoG.Engines.Trainer.Conditions;
using UnimoG.Engines.Trainer.Data;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Training;

public sealed partial class Trainer
{
    /// <summary>Condition-cache key of the i-th fixed sample prompt (encode-dataset writes them).</summary>
    public static string SamplePromptKey(int i) => $"__sample_{i}__";

    /// <summary>
    /// Draws the fixed prompts with the EMA weights (or the trained ones without EMA): guided DDIM from a generator of
    /// its own (samples.seed, so the grids of different steps are comparable and the run's generator is untouched),
    /// decoded by the VAE, one row of images per grid, saved as <c>samples/step-00000500.png</c>.
    /// </summary>
    public string? SaveSamples()
    {
        var s = _config.Samples;
        if (_c.Vae is null || s.Prompts.Count == 0) return null;
        var model = _ema?.Model ?? _c.UNet;
        var side = s.Resolution ?? _config.Phases[Phase].Resolution;
        side = Math.Max(PixelMultiple, side / PixelMultiple * PixelMultiple);
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var requests = s.Prompts.Select((p, i) => new ConditionRequest(SamplePromptKey(i), [new PromptPiece.Text(p)])).ToList();
            using var cond = _c.Conditions.Encode(requests);
            var scheduler = new SamplerCatalog(_c.Scheduler)[s.Sampler];
            var g = new Generator((ulong)s.Seed);
            long latent = side / _latents.ScaleFactor;
            using var run = scheduler.Start(new SamplingSettings(s.Steps), Samplers.From(g));
            var noise = Samplers.InitialNoise(run, [s.Prompts.Count, _latents.LatentChannels, latent, latent], g);
            var denoise = SamplingAdapters.FromUNet((x, t, h, m) => model.forward(x, t, h, m));
            var latents = Samplers.Sample(denoise, run, noise, cond, _uncond, s.GuidanceScale);
            var decode = SamplingAdapters.FromVae(z => _c.Vae.Decode(z), _latents.ScalingFactor, _latents.ShiftFactor);
            var images = decode(latents);                                               // [N, 3, H, W]
            var grid = cat(images.unbind(0), 2);                                        // [3, H, N*W]
            var dir = Path.Combine(_config.OutputDir, "samples");
            Directory.CreateDirectory(dir);
            var path = Path.Combine(dir, $"step-{Step:D8}.png");
            File.WriteAllBytes(path, Png.Encode(grid));
            _log.LogInformation("Sample grid {Path} ({Count} prompts, {Steps} {Sampler} steps, guidance {Scale})", path, s.Prompts.Count, s.Steps, s.Sampler, s.GuidanceScale);
            return path;
        }
        catch (KeyNotFoundException e)
        {
            _log.LogWarning("Sample images skipped: {Reason}", e.Message);
            return null;
        }
        finally
        {
            if (wasTraining) model.train();
        }
    }
}
