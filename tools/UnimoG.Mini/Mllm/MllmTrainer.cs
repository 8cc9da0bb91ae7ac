using System.Text.Json;
using TorchSharp;
using UnimoG.EmojiWorld;
using UnimoG.Mini.Training;
using UnimoG.Modeling.Encoders;
using UnimoG.Text.Tokenizers;
using static TorchSharp.torch;

namespace UnimoG.Mini.Mllm;

/// <summary>What <c>unimog mini train-mllm</c> trains with (the run's identity: a resume must use the same).</summary>
public sealed record MllmTrainOptions
{
    public long Steps { get; init; } = 2000;
    public int Batch { get; init; } = 32;
    public double LearningRate { get; init; } = 6e-4;
    public double WeightDecay { get; init; } = 0.1;
    /// <summary>Weight of the InfoNCE term between pooled visual tokens and the name's mean token embedding.</summary>
    public double ContrastiveWeight { get; init; } = 0.2;
    public double Temperature { get; init; } = 0.1;
    public string Adapter { get; init; } = "qformer";
    public long Seed { get; init; } = 0;
    public int MaxScenes { get; init; } = 20000;

    public string ToJson() => JsonSerializer.Serialize(this);
}

/// <summary>
/// Pre-trains the MLLM (vision tower, adapter, LLaMA: nothing pretrained exists) on <see cref="MllmTasks"/> over
/// EmojiWorld train data, with an optional contrastive term, then writes the <see cref="MllmFolder"/> layout (F16
/// weights, our tokenizer, the 64-pixel preprocessor config) that <see cref="MllmEncoder"/> loads frozen.
/// </summary>
public static class MllmTrainer
{
    public static MiniMllm Train(MllmTasks tasks, string outDir, MllmTrainOptions o, LoopOptions loop, Action<string> log, CancellationToken cancel = default)
    {
        var model = new MiniMllm(MiniConfigs.Mllm(o.Adapter), StepRandom.Torch(o.Seed, "mllm-init", 0));
        var counts = model.named_children().Select(c => $"{c.name} {c.module.parameters().Sum(p => p.numel()):N0}");
        log($"MLLM ({o.Adapter}, {model.TokensPerImage} visual tokens per image): {string.Join(", ", counts)} parameters; batch {o.Batch}, {loop.Steps} steps");
        using var optimizer = Optimizers.AdamW(model, o.LearningRate, o.WeightDecay, beta2: 0.95);
        var schedule = TrainingLoop.Schedule(loop.Steps, maxWarmup: 200);
        var state = TrainingLoop.Run(outDir, model, optimizer, o.ToJson(), loop, step =>
        {
            TrainingLoop.SetLearningRate(optimizer, o.LearningRate * schedule.Factor(step));
            var samples = tasks.Batch(o.Seed, step, o.Batch);
            using var batch = MllmBatch.Collate(samples, model.TokensPerImage, tasks.BosId);
            var visual = batch.ImageCount > 0 ? model.VisualTokens(batch.Pixels) : null;   // [N, Q, D]
            var lm = MllmBatch.Loss(model.Logits(batch, visual), batch.Labels);
            var loss = lm;
            var align = ContrastiveTerm(model, tasks, samples, visual, o.Temperature);
            if (align is not null && o.ContrastiveWeight > 0) loss = loss + o.ContrastiveWeight * align;
            optimizer.zero_grad();
            loss.backward();
            var norm = TrainingLoop.ClipGradients(model.parameters(), 1.0);
            optimizer.step();
            var metrics = new Dictionary<string, double> { ["loss"] = loss.item<float>(), ["lm"] = lm.item<float>(), ["gnorm"] = norm };
            if (align is not null) metrics["align"] = align.item<float>();
            return metrics;
        }, log, cancel);
        if (state.Step < loop.Steps) throw new OperationCanceledException($"stopped at step {state.Step} of {loop.Steps}; run again to resume");
        File.WriteAllText(Path.Combine(outDir, "train-log.json"), JsonSerializer.Serialize(new { steps = state.Step, seconds = state.Seconds, log = state.Log }));
        return model;
    }

    /// <summary>
    /// InfoNCE between each name sample's pooled visual tokens and the mean input embedding of its name's tokens;
    /// several images of one entity in a batch are not each other's negatives. Null when the batch has fewer than two.
    /// </summary>
    private static Tensor? ContrastiveTerm(MiniMllm model, MllmTasks tasks, IReadOnlyList<MllmSample> samples, Tensor? visual, double temperature)
    {
        if (visual is null) return null;
        var rows = new List<(int Image, int[] Answer, string Entity)>();
        var image = 0;
        foreach (var s in samples)
        {
            if (s.Task == "name" && s.Entity is { } hex)
            {
                var answer = s.Parts.OfType<TextPart>().First(p => p.Supervised).Ids;
                rows.Add((image, answer, hex));
            }
            image += s.Images.Count;
        }
        if (rows.Count < 2) return null;
        using var scope = torch.NewDisposeScope();
        var pooled = visual.index_select(0, torch.tensor(rows.Select(r => (long)r.Image).ToArray())).mean([1L]);   // [R, D]
        var names = torch.stack(rows.Select(r => model.llm.model.embed_tokens.forward(torch.tensor(r.Answer.Select(i => (long)i).ToArray())).mean([0L])).ToList()); // [R, D]
        var entityIds = rows.Select(r => (long)CatalogIndex[r.Entity]).ToArray();
        return Contrastive.InfoNce(pooled, names, temperature, entityIds).MoveToOuterDisposeScope();
    }

    private static readonly Dictionary<string, int> CatalogIndex = EmojiCatalog.Default.Entities
        .Select((e, i) => (e.Hex, i)).ToDictionary(x => x.Hex, x => x.i, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Writes the shipped encoder folder: <see cref="MllmFolder.Save"/>'s layout in F16, <c>tokenizer/tokenizer.model</c>,
    /// and <c>preprocessor_config.json</c> (CLIP preprocessing at 64 pixels).
    /// </summary>
    public static void Export(MiniMllm model, string tokenizerModel, string folder)
    {
        var tokenizer = TextTokenizers.LoadLlama(tokenizerModel);
        // The encoder freezes the parts (training is over) and is not disposed: the parts stay the model's.
        var encoder = new MllmEncoder(model.Architecture.Encoder, model.vision, model.Bridge, model.llm, new DelegateTokenizer(t => tokenizer.Encode(t, addBos: false)));
        MllmFolder.Save(encoder, folder, ScalarType.Float16);
        Directory.CreateDirectory(Path.Combine(folder, "tokenizer"));
        File.Copy(Directory.Exists(tokenizerModel) ? Path.Combine(tokenizerModel, "tokenizer.model") : tokenizerModel, Path.Combine(folder, "tokenizer", "tokenizer.model"), overwrite: true);
        File.WriteAllText(Path.Combine(folder, "preprocessor_config.json"), MiniConfigs.PreprocessorJson);
        ModelNotice.WriteTo(folder, "UNIMO-G mini: the multimodal LLM encoder (vision tower, Q-Former bridge, LLaMA) and its tokenizer.");
    }
}
