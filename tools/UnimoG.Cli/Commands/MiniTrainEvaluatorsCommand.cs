using System.CommandLine;
using UnimoG.EmojiWorld;
using UnimoG.Mini.Data;
using UnimoG.Mini.Evaluators;
using UnimoG.Text.Tokenizers;

namespace UnimoG.Cli;

/// <summary><c>unimog mini train-evaluators</c>: EmojiBench's DINO-like, CLIP-like and classifier networks (all split: evaluators only).</summary>
internal static class MiniTrainEvaluatorsCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "EmojiWorld all-split shard folder (held-out entities included: only evaluators may see it).", Required = true };
        var tokenizerPath = new Option<string>("--tokenizer") { Description = "The mini tokenizer.model (or its folder) for the CLIP-like text tower.", Required = true };
        var art = EmojiWorldCommand.ArtOption();
        var output = MiniCommand.OutOption("evaluators.json, *.safetensors, tokenizer.model, NOTICE; runs/ holds the checkpoints");
        var d = new EvaluatorTrainOptions();
        var dino = new Option<long>("--dino-steps") { Description = "SimCLR steps.", DefaultValueFactory = _ => d.DinoSteps };
        var clip = new Option<long>("--clip-steps") { Description = "CLIP-like steps.", DefaultValueFactory = _ => d.ClipSteps };
        var classifier = new Option<long>("--classifier-steps") { Description = "Classifier steps.", DefaultValueFactory = _ => d.ClassifierSteps };
        var batch = new Option<int>("--batch") { Description = "Images per step.", DefaultValueFactory = _ => d.Batch };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var scenes = new Option<int>("--max-scenes") { Description = "Scenes loaded (the last tenth validates).", DefaultValueFactory = _ => 20000 };
        var seed = MiniCommand.SeedOption();
        var threads = MiniCommand.ThreadsOption();
        var every = MiniCommand.CheckpointMinutesOption();
        var logEvery = MiniCommand.LogEveryOption();
        var command = new Command("train-evaluators", "Train EmojiBench's evaluator networks on emoji data (resumable) and report their validation accuracies.")
        {
            data, tokenizerPath, art, output, dino, clip, classifier, batch, lr, scenes, seed, threads, every, logEvery,
        };
        command.SetAction((parse, cancel) =>
        {
            MiniCommand.SetThreads(parse.GetValue(threads));
            var options = d with
            {
                DinoSteps = parse.GetValue(dino), ClipSteps = parse.GetValue(clip), ClassifierSteps = parse.GetValue(classifier),
                Batch = parse.GetValue(batch), LearningRate = parse.GetValue(lr), Seed = parse.GetValue(seed),
            };
            if (options.Batch < 2) throw new UsageException("--batch must be at least 2");
            var loop = MiniCommand.Loop(Math.Max(1, Math.Min(options.DinoSteps, Math.Min(options.ClipSteps, options.ClassifierSteps))), parse.GetValue(every), parse.GetValue(logEvery));
            var outDir = parse.GetValue(output)!;
            var log = MiniCommand.Logger(outDir);
            var tokenizerFile = parse.GetValue(tokenizerPath)!;
            var tokenizer = TextTokenizers.LoadLlama(tokenizerFile);
            using var emoji = EmojiArt.Open(parse.GetValue(art));
            var all = SceneSet.Load(parse.GetValue(data)!, DataUse.Evaluator, parse.GetValue(scenes));
            if (all.Split != "all") log($"note: {parse.GetValue(data)} is the {all.Split} split; the evaluators should see every entity (the all split)");
            var evaluatorData = new EvaluatorData(all, emoji, options.ValidationShare);
            using var set = EvaluatorTrainer.Train(evaluatorData, tokenizer, outDir, options, loop, log, cancel);
            set.Save(outDir, tokenizerFile);
            var m = set.Manifest.Metrics;
            Console.WriteLine($"evaluators -> {outDir}: scene->sprite top-1 DINO {m["dino_scene_to_sprite_top1_seen"]:P0}/{m["dino_scene_to_sprite_top1_heldout"]:P0}, "
                              + $"CLIP-I {m["clip_image_scene_to_sprite_top1_seen"]:P0}/{m["clip_image_scene_to_sprite_top1_heldout"]:P0}, CLIP-T {m["clip_text_scene_to_name_top1_seen"]:P0}/{m["clip_text_scene_to_name_top1_heldout"]:P0}; "
                              + $"classifier recall {m["classifier_recall_seen"]:P0}/{m["classifier_recall_heldout"]:P0} (seen/held-out)");
            return Task.FromResult(0);
        });
        return command;
    }
}
