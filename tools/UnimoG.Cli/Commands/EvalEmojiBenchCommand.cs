using System.CommandLine;
using UnimoG.Mini.Bench;

namespace UnimoG.Cli;

/// <summary><c>unimog eval emojibench --model DIR</c>: generate EmojiBench's prompts with the model in this process, score them, print the table.</summary>
internal static class EvalEmojiBenchCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = $"model folder (default {ModelPaths.DefaultRelative})" };
        var evaluators = new Option<string?>("--evaluators") { Description = $"evaluator folder (default {EmojiBench.DefaultEvaluators} here or above)" };
        var art = EmojiWorldCommand.ArtOption();
        var perPrompt = new Option<int>("--images-per-prompt") { Description = "images per prompt (the paper: 4)", DefaultValueFactory = _ => 4 };
        var steps = EvalCommand.StepsOption();
        var sampler = EvalCommand.SamplerOption();
        var guidance = EvalCommand.GuidanceOption();
        var seed = EvalCommand.SeedOption();
        var promptSeed = EvalCommand.PromptSeedOption();
        var subset = EvalCommand.SubsetOption();
        var limit = new Option<int?>("--limit") { Description = $"prompts per subset (default {EmojiBenchPrompts.DefaultLimit}, docs/emojibench.md)" };
        var json = new Option<string?>("--json") { Description = "write the report (rows, calibration rows, every prompt's scores) as JSON here" };
        var images = new Option<string?>("--images") { Description = "write the generated images here ({subset}/{prompt}-{image}.png)" };
        var label = new Option<string?>("--label") { Description = "the model's name in tables (default: the folder's name)" };
        var noCalibration = new Option<bool>("--no-calibration") { Description = "skip the oracle and random calibration rows" };
        var resamples = new Option<int>("--resamples") { Description = "bootstrap resamples", DefaultValueFactory = _ => 2000 };
        var tokenizer = EvalCommand.TokenizerOption();
        var threads = EvalCommand.ThreadsOption();
        var command = new Command("emojibench", "Run EmojiBench on a model: MultiBench's protocol over emoji, scored by the evaluator networks; prints the table.")
        {
            model, evaluators, art, perPrompt, steps, sampler, guidance, seed, promptSeed, subset, limit, json, images, label, noCalibration, resamples, tokenizer, threads,
        };
        command.SetAction((parse, ct) => EvalCommand.Usage(async () =>
        {
            if (parse.GetValue(perPrompt) is < 1 or > 16) throw new UsageException("--images-per-prompt must be 1..16");
            if (parse.GetValue(steps) is < 1 or > 1000) throw new UsageException("--steps must be 1..1000");
            if (parse.GetValue(guidance) is var g && (!float.IsFinite(g) || g < 0)) throw new UsageException("--guidance must be finite and at least 0");
            if (parse.GetValue(limit) is < 1) throw new UsageException("--limit must be at least 1 prompt per subset");
            if (parse.GetValue(resamples) < 10) throw new UsageException("--resamples must be at least 10");
            if (parse.GetValue(threads) < 0) throw new UsageException("--threads must be 0 (torch's default) or more");
            var modelDir = ModelPaths.Resolve(parse.GetValue(model));
            if (!Directory.Exists(modelDir)) throw new UsageException($"--model: model folder not found: {modelDir} (make one: unimog models init-placeholder --out DIR)");
            if (parse.GetValue(evaluators) is { } e && !File.Exists(Path.Combine(e, UnimoG.Mini.Evaluators.EvaluatorManifest.FileName)))
                throw new UsageException($"--evaluators: {e} holds no {UnimoG.Mini.Evaluators.EvaluatorManifest.FileName} (train them with `unimog mini train-evaluators`)");
            var options = new EmojiBenchOptions
            {
                ModelDir = modelDir,
                EvaluatorsDir = parse.GetValue(evaluators), ArtDir = parse.GetValue(art),
                TokenizerPath = parse.GetValue(tokenizer) ?? Environment.GetEnvironmentVariable("Model__TokenizerPath"),
                Label = parse.GetValue(label), ImagesPerPrompt = parse.GetValue(perPrompt), Steps = parse.GetValue(steps),
                Sampler = parse.GetValue(sampler)!,
                GuidanceScale = parse.GetValue(guidance), Seed = parse.GetValue(seed), PromptSeed = parse.GetValue(promptSeed),
                Subsets = EvalCommand.Subsets(parse.GetValue(subset)!), Limit = parse.GetValue(limit), Threads = parse.GetValue(threads),
                ImagesDir = parse.GetValue(images), ReferenceRows = !parse.GetValue(noCalibration), Resamples = parse.GetValue(resamples),
            };
            var report = await EmojiBench.RunAsync(options, line => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}"), ct);
            Console.Out.WriteLine(report.ToMarkdownTable());
            Console.Out.WriteLine($"generation {report.GenerationSeconds:0} s, scoring {report.ScoringSeconds:0.0} s, peak working set {report.PeakWorkingSetMb:0} MB");
            if (parse.GetValue(json) is { } path)
            {
                report.WriteJson(path);
                Console.Out.WriteLine($"wrote {path}");
            }
            if (report.ModelUntrained)
                Console.Error.WriteLine($"unimog: warning: {options.ModelDir} is UNTRAINED (random weights): these numbers measure noise.");
            return 0;
        }));
        return command;
    }
}
