using UnimoG.Modeling;
using UnimoG.Engines.Trainer.Conditions;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Data;
using UnimoG.Engines.Trainer.Losses;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Training;

public sealed partial class Trainer
{
    /// <summary>A phase's samples, buckets and (for stage 2) attention-loss layers, built once.</summary>
    private sealed record PhaseData(IReadOnlyList<TrainingExample> Examples, AspectBuckets Buckets, int[] BucketOf, int BatchSize,
        IReadOnlyList<string> AttentionLayers)
    {
        public int CachedEpoch = -1;
        public IReadOnlyList<int[]> EpochBatches = [];
    }

    private double _inputSeconds;

    /// <summary>Where the last optimizer step's time went (benchmarks, diagnostics).</summary>
    public StepTimings LastTimings { get; private set; } = new(0, 0, 0);

    /// <summary>Sees each batch's samples, plain-caption choices and condition-dropout choices (tests, diagnostics).</summary>
    internal Action<IReadOnlyList<TrainingExample>, IReadOnlyList<bool>, IReadOnlyList<bool>>? BatchObserver { get; set; }

    /// <summary>Latent sizes must survive the U-Net's downsampling: pixels are a multiple of vae factor * 2^(levels-1).</summary>
    private int PixelMultiple => _latents.ScaleFactor * (1 << (_c.UNet.Config.Levels - 1));

    private PhaseData Data(int phase)
    {
        if (_phaseData.TryGetValue(phase, out var d)) return d;
        var p = _config.Phases[phase];
        _log.LogIndexing(phase, p.Name, p.Data.Path);
        var examples = ConfigPaths.Open(_config.Location["phases"][phase]["data"]["path"], () => Datasets.Load(p.Data));
        var batch = p.BatchSize ?? _config.BatchSize;
        var buckets = new AspectBuckets(_config.Buckets, p.Resolution, PixelMultiple);
        var bucketOf = examples.Select(e => buckets.For(e.Width, e.Height).Index).ToArray();
        if (!bucketOf.GroupBy(b => b).Any(g => g.Count() >= batch))
            throw _config.Location["phases"][phase]["batch_size"].Error($"no aspect-ratio bucket of {p.Data.Path} holds {batch} samples ({examples.Count} samples in all)");
        IReadOnlyList<string> layers = [];
        if (_config.AttentionLoss is { Lambda: > 0 } attn)
            layers = AttentionMaskLoss.Layers(_c.UNet, attn, p.Resolution / _latents.ScaleFactor, _config.Location["attention_loss"]);
        _log.LogPhase(phase, p.Name, examples.Count, p.Data.Path, string.Join(", ", buckets.All.Select(b => $"{b.Width}x{b.Height}")), layers.Count);
        return _phaseData[phase] = new PhaseData(examples, buckets, bucketOf, batch, layers);
    }

    /// <summary>The next batch of the current phase, advancing (epoch, batch).</summary>
    private (PhaseData Data, int[] Indices, Bucket Bucket) NextBatch()
    {
        var data = Data(Phase);
        while (true)
        {
            if (data.CachedEpoch != Epoch)
            {
                data.EpochBatches = EpochPlan.Batches(data.BucketOf, data.BatchSize, _config.Seed, Phase, Epoch);
                data.CachedEpoch = Epoch;
            }
            if (BatchInEpoch < data.EpochBatches.Count) break;
            Epoch++;
            BatchInEpoch = 0;
        }
        var indices = data.EpochBatches[BatchInEpoch++];
        return (data, indices, data.Buckets.All[data.BucketOf[indices[0]]]);
    }

    /// <summary>One optimizer step over gradient_accumulation_steps batches.</summary>
    private StepMetrics TrainStep()
    {
        var (phase, start) = LearningRate.PhaseOf(Step, _config.Phases);
        if (phase != Phase)
        {
            Phase = phase;
            Epoch = 0;
            BatchInEpoch = 0;
        }
        var lr = _lr.At(Step);
        foreach (var g in _optimizer.ParamGroups) g.LearningRate = lr;
        var accum = _config.GradientAccumulationSteps;
        double loss = 0, mse = 0, attnSum = 0;
        var attnCount = 0;
        var samples = 0;
        double gradNorm, computeEnd;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _inputSeconds = 0;
        using (var stepScope = NewDisposeScope())
        {
            _optimizer.zero_grad();
            if (_parallel?.Zero is not null)
                foreach (var p in _parameters) p.grad?.zero_();   // the optimizer holds only the shard
            _precision.Sync();
            for (var micro = 0; micro < accum; micro++)
            {
                using var scope = NewDisposeScope();
                if (_config.OverfitOneBatch)
                {
                    // the same first batch and the same random draws at every step
                    _generator.manual_seed(GeneratorSeed);
                    (Epoch, BatchInEpoch) = (0, 0);
                }
                var (data, global, bucket) = NextBatch();
                var (indices, draws) = RankRows(global);
                var examples = indices.Select(i => data.Examples[i]).ToList();
                var (l, m, a) = Forward(data, examples, bucket, accum, draws);
                _precision.Accumulate();
                loss += l / accum;
                mse += m / accum;
                if (a is { } av) { attnSum += av; attnCount++; }
                samples += examples.Count;
            }
            computeEnd = clock.Elapsed.TotalSeconds;
            if (_parallel?.Zero is not null)
            {
                // ZeRO-1: the mean gradient of this rank's shard only, clipped by the global norm, its AdamW, then every shard to every rank
                gradNorm = _parallel.ReduceIntoShard(_config.Optimizer.MaxGradNorm);
                _optimizer.step();
                _parallel.PublishShards();
            }
            else
            {
                _parallel?.ReduceGradients();   // the mean over the ranks; clipping then sees the global gradient
                gradNorm = _config.Optimizer.MaxGradNorm > 0
                    ? nn.utils.clip_grad_norm_(_parameters, _config.Optimizer.MaxGradNorm)
                    : double.NaN;
                _optimizer.step();
            }
        }
        _ema?.Update();
        var comm = _parallel?.LastCommunicationSeconds ?? 0;
        LastTimings = new StepTimings(_inputSeconds, computeEnd - _inputSeconds, clock.Elapsed.TotalSeconds - computeEnd - comm, comm);
        Step++;
        (loss, mse, attnSum, attnCount, samples) = Combine(loss, mse, attnSum, attnCount, samples);
        return new StepMetrics(loss, mse, attnCount > 0 ? attnSum / attnCount : null, lr, samples, gradNorm);
    }

    /// <summary>Forward and backward of one batch; returns (loss, mse, attn) as plain numbers.</summary>
    /// <param name="draws">This rank's random rows (a single process: all rows, drawn exactly as always).</param>
    private (double Loss, double Mse, double? Attn) Forward(PhaseData data, List<TrainingExample> examples, Bucket bucket, int accum, RowDraws draws)
    {
        var inputClock = System.Diagnostics.Stopwatch.StartNew();
        var latents = _latents.Sample(examples, bucket, draws);                                       // [B, C, h, w]
        var share = _config.Phases[Phase].Data.TextOnlyShare;
        var plainDraw = draws.Rand().cpu().data<float>().ToArray();
        var plain = examples.Select((e, i) => e.Multimodal is null || plainDraw[i] < share).ToList();
        var dropDraw = draws.Rand().cpu().data<float>().ToArray();
        var drop = dropDraw.Select(x => x < _config.ConditionDropout).ToList();
        BatchObserver?.Invoke(examples, plain, drop);
        var noise = draws.Randn(latents.shape.AsSpan(1));                                            // [B, C, h, w]
        var timesteps = draws.RandInt(_scheduler.Config.NumTrainTimesteps);                           // [B] int64

        using var encoded = _c.Conditions.Encode(examples.Select((e, i) => ConditionRequest.For(e, plain[i])).ToList());
        using var onDevice = new Conditioning(encoded.HiddenStates.to(_device), encoded.AttentionMask?.to(_device), encoded.Spans);
        using var cond = ConditionBatch.WithDropout(onDevice, _uncond, drop);
        _inputSeconds += inputClock.Elapsed.TotalSeconds;
        var noisy = _scheduler.AddNoise(latents, noise, timesteps);
        var target = _scheduler.Config.PredictionType == "v_prediction" ? _scheduler.GetVelocity(latents, noise, timesteps) : noise;

        var attnSettings = _config.AttentionLoss;
        var entities = attnSettings is { Lambda: > 0 } ? Entities(examples, plain, drop, cond, bucket) : [];
        if (attnSettings is { Lambda: > 0 }) CountEntities(entities.Count);
        // lambda = 0 (or no entity in the batch) never attaches the capture: exactly the plain-MSE computation.
        var unet = _precision.Model;
        using var capture = entities.Count > 0 ? unet.CaptureCrossAttention(data.AttentionLayers, keepGradients: true) : null;
        var pred = unet.forward(noisy, timesteps, cond);
        var mse = nn.functional.mse_loss(pred.to_type(ScalarType.Float32), target.to_type(ScalarType.Float32));
        var total = mse;
        Tensor? attn = null;
        if (capture is not null)
        {
            attn = AttentionMaskLoss.Compute([.. data.AttentionLayers.Select(n => capture[n])], entities, attnSettings!);
            if (_parallel is not null) attn *= EntityShare(entities.Count);
            total = mse + attnSettings!.Lambda * attn;
        }
        (accum == 1 ? total : total / accum).backward();
        return (total.item<float>(), mse.item<float>(), attn?.item<float>());
    }

    /// <summary>The entity targets of a batch: rows that kept their multimodal prompt, one per visual span, with its mask.</summary>
    private static List<EntityTarget> Entities(List<TrainingExample> examples, List<bool> plain, List<bool> drop, Conditioning cond, Bucket bucket)
    {
        var list = new List<EntityTarget>();
        for (var row = 0; row < examples.Count; row++)
        {
            if (plain[row] || drop[row] || cond.Spans.Count <= row) continue;
            var images = examples[row].Images;
            foreach (var span in cond.Spans[row])
            {
                if (span.ImageIndex >= images.Count || span.Length == 0) continue;
                var e = examples[row];
                list.Add(new EntityTarget(row, span, ImageTransform.Mask(images[span.ImageIndex].Mask.Decode(), e.Width, e.Height, bucket).to(cond.HiddenStates.device)));
            }
        }
        return list;
    }
}

internal static partial class TrainerLog
{
    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information,
        Message = "Phase {Phase} '{Name}': {Count} samples from {Path}; buckets {Buckets}; {Layers} attention-loss layers")]
    public static partial void LogPhase(this Microsoft.Extensions.Logging.ILogger logger, int phase, string name, int count, string path, string buckets, int layers);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information,
        Message = "Indexing the data of phase {Phase} '{Name}' ({Path})")]
    public static partial void LogIndexing(this Microsoft.Extensions.Logging.ILogger logger, int phase, string name, string path);
}

/// <summary>
/// Seconds of one optimizer step: inputs (latents, conditions, random draws), compute (forward, losses, backward),
/// update (clipping, AdamW, EMA) and, under data parallelism, communication (gradient all-reduce, ZeRO-1 all-gather).
/// </summary>
public sealed record StepTimings(double Inputs, double Compute, double Update, double Communication = 0);
