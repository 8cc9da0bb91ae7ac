using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Data.Random;
using UnimoG.EmojiWorld;
using UnimoG.Mini.Data;
using UnimoG.Mini.Training;
using UnimoG.Text.Tokenizers;
using static TorchSharp.torch;

namespace UnimoG.Mini.Evaluators;

/// <summary>What <c>unimog mini train-evaluators</c> trains with.</summary>
public sealed record EvaluatorTrainOptions
{
    public long DinoSteps { get; init; } = 1200;
    public long ClipSteps { get; init; } = 1200;
    public long ClassifierSteps { get; init; } = 800;
    public int Batch { get; init; } = 64;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.05;
    public double SimclrTemperature { get; init; } = 0.2;
    /// <summary>Share of a batch that are reference sprites on white (the rest are scenes).</summary>
    public double SpriteShare { get; init; } = 0.3;
    /// <summary>The last share of the scenes is kept for validation.</summary>
    public double ValidationShare { get; init; } = 0.1;
    public long Seed { get; init; } = 0;
    /// <summary>
    /// BCE weight of a present entity. A scene shows 1-3 of the 202 entities, so unweighted BCE is minimised early by
    /// answering "absent" everywhere (the first run: recall 0 at p &gt; 0.5); 10 counts a miss as ten false alarms.
    /// </summary>
    public double ClassifierPositiveWeight { get; init; } = 10;

    public string ToJson(string part, long steps) => JsonSerializer.Serialize(new { part, steps, Batch, LearningRate, WeightDecay, SimclrTemperature, SpriteShare, ValidationShare, Seed });
}

/// <summary>One evaluator training or validation image: 64x64 RGB, the catalog indices it shows, its English caption.</summary>
public sealed record EvaluatorItem(byte[] Rgb, int[] Labels, string Caption);

/// <summary>
/// The evaluators' data: EmojiWorld scenes of the <c>all</c> split (held-out entities included, on purpose) and every
/// catalog sprite on white with its phrase ("a dog"); the last <c>ValidationShare</c> of the scenes is validation.
/// </summary>
public sealed class EvaluatorData
{
    public IReadOnlyList<Entity> Entities { get; } = EmojiCatalog.Default.Entities;
    public IReadOnlyList<EvaluatorItem> TrainScenes { get; }
    public IReadOnlyList<EvaluatorItem> ValidationScenes { get; }
    public IReadOnlyList<EvaluatorItem> Sprites { get; }

    public EvaluatorData(SceneSet scenes, EmojiArt art, double validationShare)
    {
        if (scenes.Use != DataUse.Evaluator) throw new ArgumentException("evaluator data must be loaded for DataUse.Evaluator");
        var index = Entities.Select((e, i) => (e.Hex, i)).ToDictionary(x => x.Hex, x => x.i, StringComparer.OrdinalIgnoreCase);
        var items = scenes.Scenes.Select(s => new EvaluatorItem(s.Rgb, s.Record.Entities.Select(e => index[e.Hex]).Distinct().ToArray(), s.Record.CaptionEn)).ToList();
        var cut = (int)Math.Round(items.Count * (1 - validationShare));
        TrainScenes = items[..cut];
        ValidationScenes = items[cut..];
        Sprites = Entities.Select((e, i) => new EvaluatorItem(art.Sprite(e.Hex).RgbOnWhite(), [i], e.PhraseEn)).ToList();
    }

    public List<EvaluatorItem> Sample(SplitMix64 rng, int count, double spriteShare) =>
        Enumerable.Range(0, count).Select(_ => rng.Chance(spriteShare) ? Sprites[rng.NextInt(Sprites.Count)] : TrainScenes[rng.NextInt(TrainScenes.Count)]).ToList();

    /// <summary>Validation scenes showing one entity (for retrieval against sprites and names).</summary>
    public IEnumerable<EvaluatorItem> SingleEntityValidation => ValidationScenes.Where(s => s.Labels.Length == 1);
}

/// <summary>Trains the three evaluators (each resumable in its own checkpoint folder), validates them, writes the folder.</summary>
public static class EvaluatorTrainer
{
    public static readonly ConvEncoderConfig ImageConfig = new();

    public static EvaluatorSet Train(EvaluatorData data, LlamaSentencePieceTokenizer tokenizer, string outDir, EvaluatorTrainOptions o, LoopOptions loop, Action<string> log, CancellationToken cancel = default)
    {
        var dino = TrainDino(data, Path.Combine(outDir, "runs", "dino"), o, loop with { Steps = o.DinoSteps }, log, cancel);
        var clip = TrainClip(data, tokenizer, Path.Combine(outDir, "runs", "clip"), o, loop with { Steps = o.ClipSteps }, log, cancel);
        var classifier = TrainClassifier(data, Path.Combine(outDir, "runs", "classifier"), o, loop with { Steps = o.ClassifierSteps }, log, cancel);
        var manifest = new EvaluatorManifest
        {
            Dino = dino.Config, ClipImage = clip.vision.Config, ClipText = clip.text.Config, Classifier = classifier.Config,
            Labels = data.Entities.Select(e => e.Hex).ToArray(),
            Training = new Dictionary<string, string>
            {
                ["data"] = $"EmojiWorld all split ({data.TrainScenes.Count} scenes; held-out entities included on purpose: the evaluators must recognise them) and the {data.Sprites.Count} catalog sprites on white",
                ["dino"] = $"SimCLR NT-Xent (temperature {o.SimclrTemperature}) on two augmented views (random resized crop from {new AugmentOptions().MinScale} of the area, flips, colour jitter, grayscale), {o.DinoSteps} steps of {o.Batch}",
                ["clip"] = $"symmetric InfoNCE with a learned temperature: scenes with their English captions, sprites with their phrases, {o.ClipSteps} steps of {o.Batch}",
                ["classifier"] = $"multi-label logistic (one output per catalog entity, positives weighted {o.ClassifierPositiveWeight}), {o.ClassifierSteps} steps of {o.Batch}",
                ["options"] = JsonSerializer.Serialize(o),
            },
        };
        var set = new EvaluatorSet(manifest, dino, clip, classifier, tokenizer);
        var metrics = Validate(set, data);
        foreach (var (k, v) in metrics) log($"{k} {v:0.####}");
        return new EvaluatorSet(manifest with { Metrics = metrics }, dino, clip, classifier, tokenizer);
    }

    private static Tensor Unit(IReadOnlyList<EvaluatorItem> items) => Images.ToUint8(items.Select(i => i.Rgb).ToList()).to_type(ScalarType.Float32) / 255f;

    private sealed class SimclrModel : nn.Module
    {
        public readonly ConvEncoder backbone;
        public readonly Sequential head;

        public SimclrModel(ConvEncoderConfig c) : base(nameof(SimclrModel))
        {
            backbone = new ConvEncoder(c);
            head = nn.Sequential(nn.Linear(c.EmbedDim, c.EmbedDim), nn.SiLU(), nn.Linear(c.EmbedDim, 64));
            RegisterComponents();
        }
    }

    public static ConvEncoder TrainDino(EvaluatorData data, string dir, EvaluatorTrainOptions o, LoopOptions loop, Action<string> log, CancellationToken cancel)
    {
        var model = new SimclrModel(ImageConfig);
        Optimizers.InitDefault(model, StepRandom.Torch(o.Seed, "dino-init", 0));
        log($"dino-like (SimCLR): {model.backbone.parameters().Sum(p => p.numel()):N0} parameters (+ projection head), {loop.Steps} steps");
        using var optimizer = Optimizers.AdamW(model, o.LearningRate, o.WeightDecay);
        var schedule = TrainingLoop.Schedule(loop.Steps, maxWarmup: 100);
        var augment = new AugmentOptions();
        Finish(TrainingLoop.Run(dir, model, optimizer, o.ToJson("dino", loop.Steps), loop, step =>
        {
            TrainingLoop.SetLearningRate(optimizer, o.LearningRate * schedule.Factor(step));
            var x = Unit(data.Sample(StepRandom.Data(o.Seed, "dino", step), o.Batch, o.SpriteShare));
            using var g = StepRandom.Torch(o.Seed, "dino", step);
            var v1 = Images.ClipPixels(Augment.Apply(x, augment, g), unitRange: true);
            var v2 = Images.ClipPixels(Augment.Apply(x, augment, g), unitRange: true);
            var z = model.head.forward(model.backbone.forward(torch.cat([v1, v2])));
            var loss = Contrastive.NtXent(z[..o.Batch], z[o.Batch..], o.SimclrTemperature);
            optimizer.zero_grad();
            loss.backward();
            TrainingLoop.ClipGradients(model.parameters(), 1.0);
            optimizer.step();
            return new Dictionary<string, double> { ["loss"] = loss.item<float>() };
        }, log, cancel), loop, "dino");
        return model.backbone;
    }

    public static ClipEvaluator TrainClip(EvaluatorData data, LlamaSentencePieceTokenizer tokenizer, string dir, EvaluatorTrainOptions o, LoopOptions loop, Action<string> log, CancellationToken cancel)
    {
        var model = new ClipEvaluator(ImageConfig, new TextEncoderConfig());
        Optimizers.InitDefault(model.vision, StepRandom.Torch(o.Seed, "clip-init", 0));
        Optimizers.InitTransformer(model.text, StepRandom.Torch(o.Seed, "clip-init", 1));
        log($"clip-like: image {model.vision.parameters().Sum(p => p.numel()):N0}, text {model.text.parameters().Sum(p => p.numel()):N0} parameters, {loop.Steps} steps");
        using var optimizer = Optimizers.AdamW(model, o.LearningRate, o.WeightDecay);
        var schedule = TrainingLoop.Schedule(loop.Steps, maxWarmup: 100);
        Finish(TrainingLoop.Run(dir, model, optimizer, o.ToJson("clip", loop.Steps), loop, step =>
        {
            TrainingLoop.SetLearningRate(optimizer, o.LearningRate * schedule.Factor(step));
            var items = data.Sample(StepRandom.Data(o.Seed, "clip", step), o.Batch, o.SpriteShare);
            using var g = StepRandom.Torch(o.Seed, "clip", step);
            var image = model.vision.forward(Images.ClipPixels(Augment.Apply(Unit(items), AugmentOptions.Mild with { FlipProbability = 0 }, g), unitRange: true));
            var (ids, mask) = model.text.Tokenize(tokenizer, items.Select(i => i.Caption).ToList());
            var text = model.text.forward(ids, mask);
            var captions = items.Select(i => i.Caption).Distinct().ToList();
            var groups = items.Select(i => (long)captions.IndexOf(i.Caption)).ToArray();   // equal captions are not negatives
            var temperature = 1.0 / Math.Exp(Math.Min(model.logit_scale.item<float>(), Math.Log(100)));
            var loss = ClipLoss(image, text, model.logit_scale, groups);
            optimizer.zero_grad();
            loss.backward();
            TrainingLoop.ClipGradients(model.parameters(), 1.0);
            optimizer.step();
            using (torch.no_grad()) model.logit_scale.clamp_(0, Math.Log(100));
            return new Dictionary<string, double> { ["loss"] = loss.item<float>(), ["temperature"] = temperature };
        }, log, cancel), loop, "clip");
        return model;
    }

    /// <summary>CLIP's loss with its learned scale: InfoNCE at temperature exp(-logit_scale).</summary>
    private static Tensor ClipLoss(Tensor image, Tensor text, Tensor logitScale, long[] groups)
    {
        using var scope = torch.NewDisposeScope();
        // InfoNCE divides by the temperature; scaling the normalised features by sqrt(scale) each gives the same logits.
        var s = logitScale.exp().sqrt();
        var a = nn.functional.normalize(image, dim: 1) * s;
        var b = nn.functional.normalize(text, dim: 1) * s;
        return Contrastive.InfoNce(a, b, 1.0, groups, normalize: false).MoveToOuterDisposeScope();
    }

    public static ConvEncoder TrainClassifier(EvaluatorData data, string dir, EvaluatorTrainOptions o, LoopOptions loop, Action<string> log, CancellationToken cancel)
    {
        var labels = data.Entities.Count;
        var model = new ConvEncoder(ImageConfig with { EmbedDim = labels });
        Optimizers.InitDefault(model, StepRandom.Torch(o.Seed, "classifier-init", 0));
        log($"classifier: {model.parameters().Sum(p => p.numel()):N0} parameters, {labels} labels, {loop.Steps} steps");
        using var optimizer = Optimizers.AdamW(model, o.LearningRate, o.WeightDecay);
        using var positiveWeight = torch.full(labels, o.ClassifierPositiveWeight);   // made once, outside the steps' scopes
        var schedule = TrainingLoop.Schedule(loop.Steps, maxWarmup: 100);
        Finish(TrainingLoop.Run(dir, model, optimizer, o.ToJson("classifier", loop.Steps), loop, step =>
        {
            TrainingLoop.SetLearningRate(optimizer, o.LearningRate * schedule.Factor(step));
            var items = data.Sample(StepRandom.Data(o.Seed, "classifier", step), o.Batch, o.SpriteShare);
            using var g = StepRandom.Torch(o.Seed, "classifier", step);
            var x = Images.ClipPixels(Augment.Apply(Unit(items), AugmentOptions.Mild, g), unitRange: true);
            var target = torch.zeros(items.Count, labels);
            for (var i = 0; i < items.Count; i++) foreach (var l in items[i].Labels) target[i, l] = 1f;
            var loss = nn.functional.binary_cross_entropy_with_logits(model.forward(x), target, pos_weights: positiveWeight);
            optimizer.zero_grad();
            loss.backward();
            TrainingLoop.ClipGradients(model.parameters(), 1.0);
            optimizer.step();
            return new Dictionary<string, double> { ["loss"] = loss.item<float>() };
        }, log, cancel), loop, "classifier");
        return model;
    }

    private static void Finish(TrainingState state, LoopOptions loop, string what)
    {
        if (state.Step < loop.Steps) throw new OperationCanceledException($"{what}: stopped at step {state.Step} of {loop.Steps}; run again to resume");
    }

    /// <summary>
    /// Validation on the held-back scenes, split by seen and held-out entities: top-1 retrieval of single-entity scenes
    /// among the 202 sprites (DINO, CLIP-I) and among the 202 phrases "a {name}" (CLIP-T); the classifier's recall of
    /// present entities at p &gt; 0.5, its false positives per image and its exact-set accuracy.
    /// </summary>
    public static Dictionary<string, double> Validate(EvaluatorSet set, EvaluatorData data)
    {
        var metrics = new Dictionary<string, double>();
        var sprites = Images.ToUint8(data.Sprites.Select(s => s.Rgb).ToList());
        var single = data.SingleEntityValidation.ToList();
        var singleImages = Images.ToUint8(single.Select(s => s.Rgb).ToList());
        var truth = torch.tensor(single.Select(s => (long)s.Labels[0]).ToArray());
        var heldOut = single.Select(s => data.Entities[s.Labels[0]].HeldOut).ToArray();
        void Top1(string name, Tensor queries, Tensor keys)
        {
            var hits = nn.functional.normalize(queries, dim: 1).matmul(nn.functional.normalize(keys, dim: 1).T).argmax(1).eq(truth).data<bool>().ToArray();
            metrics[$"{name}_top1_seen"] = hits.Where((_, i) => !heldOut[i]).Average(h => h ? 1.0 : 0.0);
            metrics[$"{name}_top1_heldout"] = hits.Where((_, i) => heldOut[i]).DefaultIfEmpty(false).Average(h => h ? 1.0 : 0.0);
        }
        Top1("dino_scene_to_sprite", set.DinoFeatures(singleImages), set.DinoFeatures(sprites));
        Top1("clip_image_scene_to_sprite", set.ClipImageFeatures(singleImages), set.ClipImageFeatures(sprites));
        Top1("clip_text_scene_to_name", set.ClipImageFeatures(singleImages), set.ClipTextFeatures(data.Entities.Select(e => e.PhraseEn).ToList()));
        metrics["validation_single_entity_scenes"] = single.Count;

        var all = data.ValidationScenes;
        var probabilities = torch.cat(all.Chunk(128).Select(c => set.Recognise(Images.ToUint8(c.Select(s => s.Rgb).ToList()))).ToList());
        var predicted = probabilities.gt(0.5f);
        var (seenHits, seenCount, heldHits, heldCount, falsePositives, exact) = (0, 0, 0, 0, 0, 0);
        for (var i = 0; i < all.Count; i++)
        {
            var row = predicted[i].data<bool>().ToArray();
            foreach (var l in all[i].Labels)
            {
                if (data.Entities[l].HeldOut) { heldCount++; if (row[l]) heldHits++; }
                else { seenCount++; if (row[l]) seenHits++; }
            }
            var extra = row.Select((p, l) => p && !all[i].Labels.Contains(l)).Count(x => x);
            falsePositives += extra;
            if (extra == 0 && all[i].Labels.All(l => row[l])) exact++;
        }
        metrics["classifier_recall_seen"] = (double)seenHits / Math.Max(1, seenCount);
        metrics["classifier_recall_heldout"] = (double)heldHits / Math.Max(1, heldCount);
        metrics["classifier_false_positives_per_image"] = (double)falsePositives / all.Count;
        metrics["classifier_exact_set"] = (double)exact / all.Count;
        metrics["validation_scenes"] = all.Count;
        return metrics;
    }
}
