using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using UnimoG.Cli.Recipe;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog recipe mini</c>: the whole mini UNIMO-G recipe in one resumable command (docs/mini-model.md): art, EmojiWorld,
/// tokenizer, VAE, MLLM, staging, data preparation, caches, U-Net stage 1, stage 2 and the ablation, evaluators,
/// export, EmojiBench and sample grids. Ctrl-C (or SIGTERM) checkpoints the running stage and stops; running the same
/// command again continues.
/// </summary>
internal static class RecipeCommand
{
    public static Command Create()
    {
        var command = new Command("recipe", "Run a training recipe end to end (resumable).");
        command.Subcommands.Add(Mini());
        return command;
    }

    /// <summary>The checkout (the folder holding UnimoG.Services.sln) above the current folder or this build; else the current folder.</summary>
    private static string RepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "UnimoG.Services.sln"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }

    private static Command Mini() => new MiniVerb().Command();

    /// <summary><c>unimog recipe mini</c>'s options and what it does with them.</summary>
    private sealed class MiniVerb
    {
        private static readonly MiniRecipeOptions D = new() { Work = "", Out = "", Tokenizer = "" };
        private readonly Option<string> work = new("--work") { Description = "work folder (data/, emoji/, runs/, cache/, models/, recipe/); finished runs there are adopted", DefaultValueFactory = _ => "artifacts" };
        private readonly Option<string> output = new("--out") { Description = "where the full model is exported", DefaultValueFactory = _ => "models/unimog-mini" };
        private readonly Option<string?> from = new("--from") { Description = "redo this stage and every later one (their done-markers are removed; runs resume from their checkpoints)" };
        private readonly Option<string?> until = new("--until") { Description = "stop after this stage" };
        private readonly Option<string?> only = new("--only") { Description = "run just this stage, redone even if done (e.g. while an earlier stage still runs elsewhere)" };
        private readonly Option<bool> list = new("--list") { Description = "print the stages and their state, run nothing" };
        private readonly Option<bool> times = new("--times") { Description = "print the real times of the stages and runs as a Markdown table, run nothing" };
        private readonly Option<string> tokenizer = new("--tokenizer") { Description = "the committed tokenizer.model to reuse", DefaultValueFactory = _ => "models/unimog-mini-staging/tokenizer/tokenizer.model" };
        private readonly Option<string> installer = new("--art-installer") { Description = "the art installer run when emoji/ is missing", DefaultValueFactory = _ => "scripts/fetch-emoji-art.sh" };
        private readonly Option<int> threads = new("--threads") { Description = "torch threads of the stages (stage 2 and its ablation split them)", DefaultValueFactory = _ => D.Threads };
        private readonly Option<double> scale = new("--unet-steps-scale") { Description = "multiplies the U-Net stages' steps; the defaults (the shipped model) take ~2.8 h of U-Net training here", DefaultValueFactory = _ => D.UNetStepsScale };
        private readonly Option<long> steps1 = new("--stage1-steps") { Description = "U-Net stage 1 steps (before the scale)", DefaultValueFactory = _ => D.Stage1Steps };
        private readonly Option<long> steps2 = new("--stage2-steps") { Description = "U-Net stage 2 (and ablation) steps (before the scale)", DefaultValueFactory = _ => D.Stage2Steps };
        private readonly Option<int> scenes1 = new("--stage1-scenes") { Description = "train scenes stage 1 reads (English and Chinese captions of each)", DefaultValueFactory = _ => D.Stage1ScenesSetting };
        private readonly Option<int> samples2 = new("--stage2-samples") { Description = "prepared samples stage 2 reads", DefaultValueFactory = _ => D.Stage2SamplesSetting };
        private readonly Option<double> lambda = new("--lambda") { Description = "weight of stage 2's visual-enhanced attention loss", DefaultValueFactory = _ => D.Lambda };
        private readonly Option<bool> sequential = new("--sequential-stage2") { Description = "train stage 2 and its ablation one after the other (default: concurrently)" };
        // Small-scale settings for tests and trials.
        private readonly Option<int> trainScenes = new("--train-scenes") { Description = "EmojiWorld train scenes", DefaultValueFactory = _ => D.TrainScenes, Hidden = true };
        private readonly Option<int> benchScenes = new("--bench-scenes") { Description = "EmojiWorld bench scenes", DefaultValueFactory = _ => D.BenchScenes, Hidden = true };
        private readonly Option<int> allScenes = new("--all-scenes") { Description = "EmojiWorld all-split scenes", DefaultValueFactory = _ => D.AllScenes, Hidden = true };
        private readonly Option<long?> preSteps = new("--pretrain-steps") { Description = "steps of the VAE, MLLM and evaluators (default: their verbs')", Hidden = true };
        private readonly Option<int> batch = new("--batch") { Description = "U-Net batch size", DefaultValueFactory = _ => D.Batch, Hidden = true };
        private readonly Option<string?> unetConfig = new("--unet-config") { Description = "a U-Net config.json instead of the mini one", Hidden = true };
        private readonly Option<int> benchSteps = new("--bench-steps") { Description = "DDIM steps of EmojiBench", DefaultValueFactory = _ => D.BenchSteps };
        private readonly Option<int?> benchLimit = new("--bench-limit") { Description = "EmojiBench prompts per subset", DefaultValueFactory = _ => D.BenchLimit };
        private readonly Option<int> sampleSteps = new("--sample-steps") { Description = "DDIM steps of the sample grids", DefaultValueFactory = _ => D.SampleSteps, Hidden = true };

        public Command Command()
        {
            var command = new Command("mini", "The mini UNIMO-G, end to end on this machine (docs/mini-model.md).")
            {
                work, output, from, until, only, list, times, tokenizer, installer, threads, scale, steps1, steps2, scenes1, samples2, lambda, sequential,
                trainScenes, benchScenes, allScenes, preSteps, batch, unetConfig, sampleSteps, benchSteps, benchLimit,
            };
            command.SetAction(Run);
            return command;
        }

        private MiniRecipeOptions Read(ParseResult parse)
        {
                var o = new MiniRecipeOptions
                {
                    Work = Path.GetFullPath(parse.GetValue(work)!), Out = Path.GetFullPath(parse.GetValue(output)!),
                    Tokenizer = Path.GetFullPath(parse.GetValue(tokenizer)!), ArtInstaller = Path.GetFullPath(parse.GetValue(installer)!),
                    Threads = parse.GetValue(threads), UNetStepsScale = parse.GetValue(scale), Stage1Steps = parse.GetValue(steps1), Stage2Steps = parse.GetValue(steps2),
                    Lambda = parse.GetValue(lambda), ParallelStage2 = !parse.GetValue(sequential),
                    Stage1ScenesSetting = parse.GetValue(scenes1), Stage2SamplesSetting = parse.GetValue(samples2),
                    TrainScenes = parse.GetValue(trainScenes), BenchScenes = parse.GetValue(benchScenes), AllScenes = parse.GetValue(allScenes),
                    VaeSteps = parse.GetValue(preSteps), MllmSteps = parse.GetValue(preSteps), EvaluatorSteps = parse.GetValue(preSteps),
                    MaxScenes = parse.GetValue(preSteps) is null ? null : parse.GetValue(trainScenes),
                    Batch = parse.GetValue(batch), SampleSteps = parse.GetValue(sampleSteps), BenchSteps = parse.GetValue(benchSteps), BenchLimit = parse.GetValue(benchLimit),
                    Repo = RepoRoot(),
                    UNetConfigJson = parse.GetValue(unetConfig) is { } f ? File.ReadAllText(File.Exists(f) ? f : throw new UsageException($"--unet-config: no such file: {f}")) : null,
                };
                if (o.Threads < 1) throw new UsageException("--threads must be at least 1");
                if (o.UNetStepsScale <= 0) throw new UsageException("--unet-steps-scale must be positive");
                if (o.Stage1Steps < 1 || o.Stage2Steps < 1) throw new UsageException("--stage1-steps and --stage2-steps must be at least 1");
                if (o.Lambda <= 0) throw new UsageException("--lambda must be positive (lambda 0 is the w/o VisualEnh ablation the recipe trains anyway)");
                if (o.TrainScenes < 1 || o.BenchScenes < 1 || o.AllScenes < 1 || o.Batch < 1) throw new UsageException("scene counts and --batch must be at least 1");
            return o;
        }

        private int Run(ParseResult parse)
        {
            var o = Read(parse);
                Directory.CreateDirectory(o.Work);
                var logPath = Path.Combine(o.Work, "recipe.log");
                void Log(string line)
                {
                    var stamped = $"[{DateTime.UtcNow.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}] {line}";
                    Console.Out.WriteLine(stamped);
                    Console.Out.Flush();
                    File.AppendAllText(logPath, stamped + Environment.NewLine);
                }
                var recipe = new MiniRecipe(o, Log);
                var runner = new RecipeRunner(o.Work, recipe.Stages(), Log);
                if (parse.GetValue(times))
                {
                    Console.Out.Write(ModelCard.TimesTable(recipe));
                    return 0;
                }
                if (parse.GetValue(list))
                {
                    foreach (var s in runner.Summary()["stages"]!.AsArray())
                        Console.Out.WriteLine($"{s!["stage"],-14} {(s["done"] is { } m ? $"done ({m["outcome"]}, {(double)m["wall_seconds"]! / 60:0.0} min)" : "to do"),-28} {s["description"]}");
                    return 0;
                }
                using var stop = new CancellationTokenSource();
                ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; Log("stopping: the running stage checkpoints and the recipe ends (run it again to continue)"); stop.Cancel(); };
                Console.CancelKeyPress += onCancel;
                using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
                try
                {
                    Log($"recipe mini: work {o.Work}, out {o.Out}, U-Net steps {o.Steps1} + {o.Steps2} (scale {o.UNetStepsScale.ToString(CultureInfo.InvariantCulture)}), {o.Threads} threads");
                    runner.Run(parse.GetValue(from), parse.GetValue(until), stop.Token, parse.GetValue(only));
                    Log(stop.IsCancellationRequested ? "stopped" : "recipe finished");
                    return stop.IsCancellationRequested ? 130 : 0;
                }
                catch (RecipeException e)
                {
                    throw new UsageException(e.Message);
                }
                finally
                {
                    Console.CancelKeyPress -= onCancel;
                }
        }
    }
}
