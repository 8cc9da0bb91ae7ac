using System.CommandLine;
using System.Text.Json;
using UnimoG.EmojiWorld;
using UnimoG.Mini;
using UnimoG.Mini.Data;
using UnimoG.Mini.Mllm;
using UnimoG.Modeling.Encoders;
using UnimoG.Text.Tokenizers;

namespace UnimoG.Cli;

/// <summary><c>unimog mini train-mllm</c>: pre-train the MLLM on EmojiWorld train data, export it frozen, measure it.</summary>
internal static class MiniTrainMllmCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "EmojiWorld train-split shard folder.", Required = true };
        var evalSeen = new Option<string>("--eval-seen") { Description = "Shards with other renderings of seen entities (e.g. an all-split compose with another seed; only scenes without held-out entities are used).", Required = true };
        var evalHeld = new Option<string>("--eval-held-out") { Description = "Bench-split shard folder (held-out entities).", Required = true };
        var tokenizerPath = new Option<string>("--tokenizer") { Description = "The mini tokenizer.model (or its folder).", Required = true };
        var art = EmojiWorldCommand.ArtOption();
        var output = MiniCommand.OutOption("mllm/ in the MllmFolder layout, metrics.json");
        var d = new MllmTrainOptions();
        var steps = new Option<long>("--steps") { Description = "Training steps.", DefaultValueFactory = _ => d.Steps };
        var batch = new Option<int>("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => d.Batch };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW weight decay on matrices.", DefaultValueFactory = _ => d.WeightDecay };
        var contrastive = new Option<double>("--contrastive-weight") { Description = "Weight of the visual-name InfoNCE term (0 = off).", DefaultValueFactory = _ => d.ContrastiveWeight };
        var adapter = new Option<string>("--adapter") { Description = "qformer (8 queries) or mlp (one token per patch).", DefaultValueFactory = _ => d.Adapter };
        var scenes = new Option<int>("--max-scenes") { Description = "Train scenes loaded.", DefaultValueFactory = _ => d.MaxScenes };
        var seed = MiniCommand.SeedOption();
        var threads = MiniCommand.ThreadsOption();
        var every = MiniCommand.CheckpointMinutesOption();
        var logEvery = MiniCommand.LogEveryOption();
        var command = new Command("train-mllm", "Pre-train the mini MLLM (ViT + adapter + LLaMA) to align emoji images with names and captions (resumable); writes the MllmFolder layout.")
        {
            data, evalSeen, evalHeld, tokenizerPath, art, output, steps, batch, lr, wd, contrastive, adapter, scenes, seed, threads, every, logEvery,
        };
        command.SetAction((parse, cancel) =>
        {
            MiniCommand.SetThreads(parse.GetValue(threads));
            var loop = MiniCommand.Loop(parse.GetValue(steps), parse.GetValue(every), parse.GetValue(logEvery));
            var options = d with
            {
                Steps = loop.Steps, Batch = parse.GetValue(batch), LearningRate = parse.GetValue(lr), WeightDecay = parse.GetValue(wd),
                ContrastiveWeight = parse.GetValue(contrastive), Adapter = parse.GetValue(adapter)!, Seed = parse.GetValue(seed), MaxScenes = parse.GetValue(scenes),
            };
            if (options.Adapter is not ("qformer" or "mlp")) throw new UsageException("--adapter must be qformer or mlp");
            if (options.Batch < 8) throw new UsageException("--batch must be at least 8 (every task needs a place in a batch)");
            var outDir = parse.GetValue(output)!;
            var log = MiniCommand.Logger(outDir);
            var tokenizer = TextTokenizers.LoadLlama(parse.GetValue(tokenizerPath)!);
            if (tokenizer.VocabularySize != MiniConfigs.VocabSize)
                throw new UsageException($"--tokenizer has {tokenizer.VocabularySize} pieces; the mini LLaMA's vocabulary is {MiniConfigs.VocabSize}");
            using var emoji = EmojiArt.Open(parse.GetValue(art));
            var train = SceneSet.Load(parse.GetValue(data)!, DataUse.Generator, options.MaxScenes);
            var tasks = new MllmTasks(tokenizer, train, emoji);
            using var model = MllmTrainer.Train(tasks, outDir, options, loop, log, cancel);
            var folder = Path.Combine(outDir, "mllm");
            MllmTrainer.Export(model, parse.GetValue(tokenizerPath)!, folder);

            log("evaluating the exported folder (F16 weights)");
            var seenAll = SceneSet.Load(parse.GetValue(evalSeen)!, DataUse.Evaluation, 3000);
            var seen = new SceneSet(seenAll.Scenes.Where(s => s.Record.Entities.All(e => !EmojiCatalog.Default[e.Hex].HeldOut)).ToList(), seenAll.Split, DataUse.Evaluation);
            var heldOut = SceneSet.Load(parse.GetValue(evalHeld)!, DataUse.Evaluation, 2000);
            var encoder = MllmFolder.Load(folder, tokenizer.ForMllm());
            var eval = new MllmEvaluation(encoder, tokenizer, emoji);
            var metrics = new Dictionary<string, double>();
            void Add(Dictionary<string, double> m) { foreach (var (k, v) in m) { metrics[k] = v; log($"{k} {v:0.####}"); } }
            Add(eval.NameAccuracy(eval.Sprites(EmojiCatalog.Default.Entities.Where(e => !e.HeldOut)), "seen_sprite"));
            Add(eval.NameAccuracy(eval.Sprites(EmojiCatalog.Default.Entities.Where(e => e.HeldOut)), "heldout_sprite"));
            Add(eval.NameAccuracy(MllmEvaluation.CutOuts(seen, e => !e.HeldOut, 300), "seen_cutout"));
            Add(eval.NameAccuracy(MllmEvaluation.CutOuts(heldOut, e => e.HeldOut, 300), "heldout_cutout"));
            Add(eval.CaptionAccuracy(seen.Scenes.Take(100).ToList(), "seen"));
            Add(eval.CaptionAccuracy(heldOut.Scenes.Take(100).ToList(), "heldout"));
            Add(eval.NearestNeighbours(MllmEvaluation.CutOutPairs(seen, e => !e.HeldOut), "seen"));
            Add(eval.NearestNeighbours(MllmEvaluation.CutOutPairs(heldOut, e => e.HeldOut), "heldout"));
            // A metric over an empty set (a tiny data set without held-out cut-outs, say) is NaN: written as "NaN", not a crash.
            File.WriteAllText(Path.Combine(outDir, "metrics.json"), JsonSerializer.Serialize(metrics,
                new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            UnimoG.Mini.ModelNotice.WriteTo(outDir, "UNIMO-G mini: the multimodal LLM encoder's training run.");
            Console.WriteLine($"mllm -> {folder}: seen names {metrics["seen_sprite_name_en"]:P0} (en) / {metrics["seen_sprite_name_zh"]:P0} (zh), held-out {metrics["heldout_sprite_name_en"]:P0}; "
                              + $"visual-token nearest neighbour {metrics["seen_nn_top1"]:P0} seen, {metrics["heldout_nn_top1"]:P0} held-out");
            return Task.FromResult(0);
        });
        return command;
    }
}
