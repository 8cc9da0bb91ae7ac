using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using TorchSharp;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using UnimoG.Engines.Trainer.Conditions;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Training;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Data;

/// <summary>
/// <c>unimog encode-dataset</c>: runs the frozen encoder (and the VAE) once over every sample of every phase of a
/// training configuration and stores the results, so training pays only for the U-Net:
/// <list type="bullet">
/// <item>conditions: per prompt <c>hidden_states</c> [L, D] (float32), <c>attention_mask</c> [L] (int64), spans as text;
/// for multimodal samples both the multimodal prompt (key) and the plain caption (key#caption); the empty prompt;
/// and the fixed sample prompts;</item>
/// <item>latents: per sample and bucket size the VAE posterior's <c>mean</c> and <c>logvar</c> [C, h, w] (float32), so
/// training still draws a fresh posterior sample from its own generator.</item>
/// </list>
/// </summary>
public static class DatasetEncoding
{
    public sealed record Result(int Prompts, int Latents);

    /// <summary>How far a part (<c>conditions</c> or <c>latents</c>) is: after every batch.</summary>
    public sealed record Progress(string Part, long Done, long Total);

    public static Result Run(TrainingConfig config, string? conditionsOut, string? latentsOut, int batch, ILogger log, CancellationToken ct = default,
        Action<Progress>? progress = null)
    {
        if (conditionsOut is null && latentsOut is null) throw new ArgumentException("nothing to write: give a conditions and/or a latents output folder");
        if (config.Threads is { } n) torch.set_num_threads(n);
        var phases = config.Phases.Select((p, i) => ConfigPaths.Open(config.Location["phases"][i]["data"]["path"], () => Datasets.Load(p.Data))).ToList();
        var prompts = 0;
        var latents = 0;
        if (conditionsOut is not null)
        {
            // The encoder that fills the cache: conditions.encoder in process, else the service at conditions.address.
            var c = config.Conditions;
            var writerSource = c.Source != "cache" ? c
                : c.Encoder is not null ? c with { Source = "encoder" }
                : c.Address is not null ? c with { Source = "service" }
                : throw config.Location["conditions"]["encoder"].Error("encode-dataset needs the encoder (conditions.encoder) or the Encoder service (conditions.address) to fill the cache");
            using var source = TrainingComponents.LoadConditions(writerSource, config.Location["conditions"]);
            prompts = EncodeConditions(config, source, phases, conditionsOut, batch, log, ct, progress);
        }
        if (latentsOut is not null)
        {
            if (config.Model.Vae is null) throw config.Location["model"]["vae"].Error("encode-dataset needs the VAE to cache latents");
            using var vae = ConfigPaths.Open(config.Location["model"]["vae"], () => AutoencoderKL.FromPretrained(config.Model.Vae));
            latents = EncodeLatents(config, vae, phases, latentsOut, batch, log, ct, progress);
        }
        return new Result(prompts, latents);
    }

    private static int EncodeConditions(TrainingConfig config, IConditionSource source, List<IReadOnlyList<TrainingExample>> phases,
        string folder, int batch, ILogger log, CancellationToken ct, Action<Progress>? progress)
    {
        var requests = new Dictionary<string, ConditionRequest>(StringComparer.Ordinal);
        foreach (var e in phases.SelectMany(p => p))
        {
            requests.TryAdd(e.ConditionKey(false), ConditionRequest.For(e, false));
            if (e.Multimodal is not null) requests.TryAdd(e.ConditionKey(true), ConditionRequest.For(e, true));
        }
        for (var i = 0; i < config.Samples.Prompts.Count; i++)
            requests.TryAdd(Training.Trainer.SamplePromptKey(i), new ConditionRequest(Training.Trainer.SamplePromptKey(i), [new PromptPiece.Text(config.Samples.Prompts[i])]));
        var writer = new TensorStoreWriter(folder, CachedConditions.Kind, new JsonObject
        {
            ["width"] = source.Width,
            ["model"] = source.Description,
            ["config_hash"] = config.Hash(),
        });
        using (var uncond = source.Unconditional())
            Add(writer, CachedConditions.UnconditionalKey, uncond, 0);
        var list = requests.Values.ToList();
        for (var start = 0; start < list.Count; start += batch)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var chunk = list.Skip(start).Take(batch).ToList();
            using var cond = source.Encode(chunk);
            for (var r = 0; r < chunk.Count; r++) Add(writer, chunk[r].Key, cond, r);
            progress?.Invoke(new Progress("conditions", start + chunk.Count, list.Count));
            if (progress is null && (start / batch) % 10 == 0) log.LogInformation("Encoded {Done}/{Total} prompts", Math.Min(start + batch, list.Count), list.Count);
        }
        writer.Complete();
        log.LogInformation("Wrote {Count} condition entries to {Folder}", writer.Count, folder);
        return writer.Count;
    }

    /// <summary>Row <paramref name="r"/> without its padding.</summary>
    private static void Add(TensorStoreWriter writer, string key, UnimoG.Modeling.Conditioning cond, int r)
    {
        using var scope = NewDisposeScope();
        var mask = cond.AttentionMask is { } m ? m[r].to_type(ScalarType.Int64) : ones(cond.Length, ScalarType.Int64);
        var length = mask.sum().item<long>();
        var hidden = cond.HiddenStates[r].narrow(0, 0, length).to_type(ScalarType.Float32);
        writer.Add(key, new Dictionary<string, Tensor> { ["hidden_states"] = hidden, ["attention_mask"] = mask.narrow(0, 0, length) },
            new Dictionary<string, string> { ["spans"] = CachedConditions.FormatSpans(cond.Spans.Count > r ? cond.Spans[r] : []) });
    }

    private static int EncodeLatents(TrainingConfig config, AutoencoderKL vae, List<IReadOnlyList<TrainingExample>> phases,
        string folder, int batch, ILogger log, CancellationToken ct, Action<Progress>? progress)
    {
        var unetConfig = config.Model.UNet is { } dir
            ? ConfigPaths.Open(config.Location["model"]["unet"], () => ConfigJson.Read<UNet2DConditionConfig>(Path.Combine(Pretrained.ComponentFolder(dir, "unet"), "config.json")))
            : config.Model.UNetConfig!.Value;
        var multiple = vae.DownscaleFactor * (1 << (unetConfig.Levels - 1));
        var writer = new TensorStoreWriter(folder, LatentSource.Kind, new JsonObject
        {
            ["scaling_factor"] = vae.Config.ScalingFactor,
            ["shift_factor"] = vae.Config.ShiftFactor,
            ["latent_channels"] = vae.Config.LatentChannels,
            ["vae_scale_factor"] = vae.DownscaleFactor,
            ["vae"] = config.Model.Vae,
        });
        var source = new LatentSource(vae, null);
        // Planned first, so that progress knows the total: each (sample, bucket size) once over all phases.
        var done = new HashSet<string>(StringComparer.Ordinal);
        var plan = new List<(int Phase, Bucket Bucket, List<TrainingExample> Todo)>();
        for (var p = 0; p < phases.Count; p++)
        {
            var buckets = new AspectBuckets(config.Buckets, config.Phases[p].Resolution, multiple);
            foreach (var group in phases[p].GroupBy(e => buckets.For(e.Width, e.Height)))
                plan.Add((p, group.Key, group.Where(e => done.Add(LatentSource.CacheKey(e.Key, group.Key))).ToList()));
        }
        long total = plan.Sum(x => x.Todo.Count), encoded = 0;
        foreach (var (p, bucket, todo) in plan)
        {
            for (var start = 0; start < todo.Count; start += batch)
            {
                ct.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var chunk = todo.Skip(start).Take(batch).ToList();
                var (mean, logvar) = source.Posterior(chunk, bucket);
                for (var i = 0; i < chunk.Count; i++)
                    writer.Add(LatentSource.CacheKey(chunk[i].Key, bucket), new Dictionary<string, Tensor> { ["mean"] = mean[i], ["logvar"] = logvar[i] });
                progress?.Invoke(new Progress("latents", encoded += chunk.Count, total));
            }
            log.LogInformation("Encoded {Count} latents of phase {Phase} at {W}x{H}", todo.Count, p, bucket.Width, bucket.Height);
        }
        writer.Complete();
        return writer.Count;
    }
}
