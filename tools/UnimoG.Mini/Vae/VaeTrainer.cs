using System.Text.Json;
using TorchSharp;
using UnimoG.Data.Previews;
using UnimoG.Mini.Data;
using UnimoG.Mini.Training;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using UnimoG.Data.Config;
using UnimoG.Modeling.Images;
using UnimoG.Modeling.Pipelines;
using static TorchSharp.torch;

namespace UnimoG.Mini.Vae;

/// <summary>What <c>unimog mini train-vae</c> trains with (these are the run's identity: a resume must use the same).</summary>
public sealed record VaeTrainOptions
{
    public long Steps { get; init; } = 2000;
    public int Batch { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.01;
    public double KlWeight { get; init; } = 1e-5;
    public double GradientWeight { get; init; } = 0.5;
    public long Seed { get; init; } = 0;
    public int MaxScenes { get; init; } = 20000;
    /// <summary>Early steps train on random crops of this size (the VAE is convolutional: a 32x32 crop costs a quarter).</summary>
    public int CropSize { get; init; } = 32;
    /// <summary>The last share of the steps trains on whole 64x64 scenes, the size the model is used at.</summary>
    public double FullSizeShare { get; init; } = 0.15;
    public string Config { get; init; } = MiniConfigs.VaeJson;

    public string ToJson() => JsonSerializer.Serialize(this);
}

/// <summary>Metrics of a finished VAE run (written to <c>metrics.json</c>).</summary>
public sealed record VaeReport(double PsnrBench, double PsnrBenchF16, double PsnrTrain, double ScalingFactor, long Parameters,
    long Steps, double TrainSeconds, double PreviewRmse);

/// <summary>
/// Trains the mini VAE on EmojiWorld train scenes (L1 + KL + gradient loss, AdamW, random flips; 32x32 crops first,
/// whole scenes for the last 15 % of the steps), then writes the
/// diffusers <c>vae/</c> folder (F16 weights, <c>scaling_factor</c> = 1 / std of posterior samples of 512 train
/// scenes, as Stable Diffusion's was chosen), <c>preview.json</c> (least-squares latent-to-RGB factors) and
/// <c>metrics.json</c> (PSNR on held-out bench scenes, with the F32 and the stored F16 weights).
/// </summary>
public static class VaeTrainer
{
    public static VaeReport Train(SceneSet train, SceneSet bench, string outDir, VaeTrainOptions o, LoopOptions loop, Action<string> log, CancellationToken cancel = default)
    {
        if (train.Use != DataUse.Generator) throw new ArgumentException("the VAE trains on generator data (the train split) only");
        var config = ConfigJson.Parse<AutoencoderKLConfig>(o.Config, "vae config");
        using var vae = new AutoencoderKL(config);
        Optimizers.InitDefault(vae, StepRandom.Torch(o.Seed, "vae-init", 0));
        var parameters = vae.parameters().Sum(p => p.numel());
        log($"VAE: {parameters:N0} parameters, {train.Count} train scenes, batch {o.Batch}, {loop.Steps} steps");
        using var optimizer = Optimizers.AdamW(vae, o.LearningRate, o.WeightDecay);
        var schedule = TrainingLoop.Schedule(loop.Steps, maxWarmup: 200);

        var state = TrainingLoop.Run(outDir, vae, optimizer, o.ToJson(), loop, step =>
        {
            TrainingLoop.SetLearningRate(optimizer, o.LearningRate * schedule.Factor(step));
            var (x, g) = Batch(train, o, step);
            using var posterior = vae.Encode(x);
            var z = posterior.Sample(g);
            var recon = vae.Decode(z);
            var l1 = (recon - x).abs().mean();
            var kl = VaeLosses.Kl(posterior.Mean, posterior.LogVar);
            var grad = VaeLosses.Gradient(recon, x);
            var loss = l1 + o.KlWeight * kl + o.GradientWeight * grad;
            optimizer.zero_grad();
            loss.backward();
            var norm = TrainingLoop.ClipGradients(vae.parameters(), 1.0);
            optimizer.step();
            g.Dispose();
            return new Dictionary<string, double> { ["loss"] = loss.item<float>(), ["l1"] = l1.item<float>(), ["kl"] = kl.item<float>(), ["grad"] = grad.item<float>(), ["gnorm"] = norm };
        }, log, cancel);
        if (state.Step < loop.Steps) throw new OperationCanceledException($"stopped at step {state.Step} of {loop.Steps}; run again to resume");

        using var noGrad = torch.no_grad();
        var scaling = ScalingFactor(vae, train, 512, o.Seed);
        var folder = Path.Combine(outDir, "vae");
        Export(vae, config with { ScalingFactor = scaling }, folder);
        var psnrBench = Psnr(vae, bench, 256);
        var psnrTrain = Psnr(vae, train, 256);
        double psnrF16;
        using (var stored = AutoencoderKL.FromPretrained(folder)) psnrF16 = Psnr(stored, bench, 256);
        var preview = FitPreview(vae, train, 256, scaling);
        preview.Save(outDir);
        var report = new VaeReport(psnrBench, psnrF16, psnrTrain, scaling, parameters, state.Step, state.Seconds, preview.FitRmse!.Value);
        File.WriteAllText(Path.Combine(outDir, "metrics.json"), JsonSerializer.Serialize(new { report, log = state.Log }, new JsonSerializerOptions { WriteIndented = true }));
        log($"PSNR bench {psnrBench:0.00} dB (stored F16 {psnrF16:0.00}), train {psnrTrain:0.00}; scaling_factor {scaling:0.#####}; preview fit RMSE {preview.FitRmse:0.0000}");
        return report;
    }

    /// <summary>Step <paramref name="step"/>'s batch: images in [-1, 1] [B, 3, 64, 64], half flipped left-right, and its noise generator.</summary>
    internal static (Tensor Images, Generator Noise) Batch(SceneSet set, VaeTrainOptions o, long step)
    {
        var rng = StepRandom.Data(o.Seed, "vae", step);
        var picks = Enumerable.Range(0, o.Batch).Select(_ => set[rng.NextInt(set.Count)]).ToList();
        var flips = picks.Select(_ => rng.Chance(0.5)).ToArray();
        var x = PixelRange.ToSigned(Images.ToUint8(picks.Select(p => p.Rgb).ToList()));
        var flipped = x.flip(3);
        var mask = torch.tensor(flips).view(-1, 1, 1, 1);
        x = torch.where(mask, flipped, x);
        var full = step >= (long)Math.Ceiling(o.Steps * (1 - o.FullSizeShare));
        if (!full && o.CropSize < Images.N)
        {
            // One crop offset per image (multiples of the downscale factor 4 keep latent pixels aligned).
            var crops = new Tensor[o.Batch];
            for (var i = 0; i < o.Batch; i++)
            {
                var (cy, cx) = (rng.NextInt((Images.N - o.CropSize) / 4 + 1) * 4, rng.NextInt((Images.N - o.CropSize) / 4 + 1) * 4);
                crops[i] = x[i, .., cy..(cy + o.CropSize), cx..(cx + o.CropSize)];
            }
            x = torch.stack(crops);
        }
        return (x, StepRandom.Torch(o.Seed, "vae", step));
    }

    /// <summary>1 / std of posterior samples over <paramref name="count"/> scenes (Stable Diffusion's recipe for 0.18215).</summary>
    public static double ScalingFactor(AutoencoderKL vae, SceneSet set, int count, long seed)
    {
        using var scope = torch.NewDisposeScope();
        var g = StepRandom.Torch(seed, "vae-scale", 0);
        var latents = new List<Tensor>();
        foreach (var chunk in Enumerable.Range(0, Math.Min(count, set.Count)).Chunk(64))
        {
            using var posterior = vae.Encode(PixelRange.ToSigned(Images.ToUint8(chunk.Select(i => set[i].Rgb).ToList())));
            latents.Add(posterior.Sample(g));
        }
        return 1.0 / torch.cat(latents).std().item<float>();
    }

    /// <summary>Mean PSNR (dB) of uint8 reconstructions through the posterior mode, over the first <paramref name="count"/> scenes.</summary>
    public static double Psnr(AutoencoderKL vae, SceneSet set, int count)
    {
        using var noGrad = torch.no_grad();
        var values = new List<double>();
        foreach (var chunk in Enumerable.Range(0, Math.Min(count, set.Count)).Chunk(64))
        {
            using var scope = torch.NewDisposeScope();
            var u8 = Images.ToUint8(chunk.Select(i => set[i].Rgb).ToList());
            using var posterior = vae.Encode(PixelRange.ToSigned(u8));
            values.AddRange(VaeLosses.Psnr(PixelRange.ToUint8(vae.Decode(posterior.Mode())), u8));
        }
        return values.Average();
    }

    private static PreviewFile FitPreview(AutoencoderKL vae, SceneSet set, int count, double scaling)
    {
        using var scope = torch.NewDisposeScope();
        var latents = new List<Tensor>();
        var images = new List<Tensor>();
        foreach (var chunk in Enumerable.Range(0, Math.Min(count, set.Count)).Chunk(64))
        {
            using var posterior = vae.Encode(PixelRange.ToSigned(Images.ToUint8(chunk.Select(i => set[i].Rgb).ToList())));
            var z = posterior.Mode() * scaling;
            latents.Add(z);
            images.Add(vae.Decode(z / scaling).clamp(-1, 1)); // what the sampler's final decode shows
        }
        return PreviewFitting.Fit(torch.cat(latents), torch.cat(images), $"least squares on {latents.Sum(l => l.shape[0])} training scenes: VAE mode x scaling_factor to the VAE's own decode");
    }

    /// <summary>Writes a diffusers component folder: <c>config.json</c> and <c>diffusion_pytorch_model.safetensors</c> (F16).</summary>
    public static void Export(AutoencoderKL vae, AutoencoderKLConfig config, string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), ConfigJson.Write(config));
        using var scope = torch.NewDisposeScope();
        SafetensorsWriter.Save(Path.Combine(folder, "diffusion_pytorch_model.safetensors"),
            vae.state_dict().Select(kv => KeyValuePair.Create(kv.Key, kv.Value.to_type(ScalarType.Float16))));
    }
}
