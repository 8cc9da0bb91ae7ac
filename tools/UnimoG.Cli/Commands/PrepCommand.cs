using System.CommandLine;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Engines.DataPrep.Grounding;
using UnimoG.Engines.DataPrep.Onnx;
using UnimoG.Engines.DataPrep.Pipeline;
using UnimoG.Engines.DataPrep.Segmentation;

namespace UnimoG.Cli;

/// <summary><c>unimog prep</c>: image-caption shards to multimodal training samples (docs/dataprep.md).</summary>
internal static class PrepCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "Folder of input WebDataset shards (*.tar)", Required = true };
        var output = new Option<string>("--output") { Description = "Folder for the prepared shards and their indexes", Required = true };
        var workers = new Option<int>("--workers") { Description = "Shards prepared in parallel", DefaultValueFactory = _ => 1 };
        var entities = new Option<string>("--entities")
        {
            Description = "Entity source: metadata ({key}.json), rules-en, rules-zh, or mllm", DefaultValueFactory = _ => "metadata",
        };
        entities.AcceptOnlyFromAmong("metadata", "rules-en", "rules-zh", "mllm");
        var grounding = new Option<string?>("--grounding") { Description = "Grounding DINO ONNX export (see docs/dataprep.md for its signature)" };
        var vocab = new Option<string?>("--bert-vocab") { Description = "bert-base-uncased vocab.txt for the grounding model's text" };
        var boxThreshold = new Option<float>("--box-threshold") { Description = "Grounding box threshold", DefaultValueFactory = _ => 0.35f };
        var textThreshold = new Option<float>("--text-threshold") { Description = "Grounding text threshold", DefaultValueFactory = _ => 0.25f };
        var samEncoder = new Option<string?>("--sam-encoder") { Description = "SAM image encoder ONNX" };
        var samDecoder = new Option<string?>("--sam-decoder") { Description = "SAM prompt decoder ONNX (segment-anything export)" };
        var masks = new Option<string?>("--masks") { Description = "Mask source: sam (default with --sam-*), alpha, or box" };
        masks.AcceptOnlyFromAmong("sam", "alpha", "box");
        var replaceRate = new Option<double>("--replace-rate") { Description = "Probability that an entity is replaced by its image", DefaultValueFactory = _ => 0.5 };
        var textOnly = new Option<double>("--text-only-share") { Description = "Share of samples kept as plain captions", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<long>("--seed") { Description = "Seed of the per-sample random draws", DefaultValueFactory = _ => 0 };
        var maxEntities = new Option<int>("--max-entities") { Description = "Entities kept per sample", DefaultValueFactory = _ => 8 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads per model", DefaultValueFactory = _ => 1 };
        var device = new Option<string>("--device") { Description = "cpu or cuda (cuda falls back to the CPU with a warning)", DefaultValueFactory = _ => OnnxSessions.GpuBuild ? "cuda" : "cpu" };
        device.AcceptOnlyFromAmong("cpu", "cuda");

        var command = new Command("prep", "Prepare multimodal training samples: entities, grounding boxes, masks, segments, <imgN> prompts.");
        foreach (var o in new Option[] { input, output, workers, entities, grounding, vocab, boxThreshold, textThreshold, samEncoder,
                     samDecoder, masks, replaceRate, textOnly, seed, maxEntities, threads, device })
            command.Options.Add(o);

        command.SetAction(async (parse, ct) =>
        {
            var onnx = new OnnxOptions { Device = parse.GetValue(device)!, IntraOpThreads = parse.GetValue(threads) };
            var logger = new StderrLogger();
            var (encoderPath, decoderPath) = (parse.GetValue(samEncoder), parse.GetValue(samDecoder));
            if ((encoderPath is null) != (decoderPath is null))
                throw new UsageException("--sam-encoder and --sam-decoder go together");
            var maskMode = parse.GetValue(masks) switch
            {
                "alpha" => MaskMode.Alpha,
                "box" => MaskMode.Box,
                "sam" => MaskMode.Sam,
                null when encoderPath is not null => MaskMode.Sam,
                _ => throw new UsageException("choose the masks: --sam-encoder X.onnx --sam-decoder Y.onnx, --masks alpha, or --masks box"),
            };
            if (maskMode == MaskMode.Sam && encoderPath is null)
                throw new UsageException("--masks sam needs --sam-encoder and --sam-decoder");
            if (maskMode != MaskMode.Sam && encoderPath is not null)
                throw new UsageException($"--masks {maskMode.ToString().ToLowerInvariant()} does not use the SAM models given");
            var (groundingPath, vocabPath) = (parse.GetValue(grounding), parse.GetValue(vocab));
            if (groundingPath is not null && vocabPath is null)
                throw new UsageException("--grounding needs --bert-vocab (the bert-base-uncased vocab.txt)");
            IEntityExtractor extractor = parse.GetValue(entities) switch
            {
                "rules-en" => new EnglishNounPhrases(),
                "rules-zh" => new ChineseNounPhrases(),
                "mllm" => throw new UsageException(
                    "--entities mllm needs a generative MLLM, and this build has no loader for one yet; use metadata, rules-en or rules-zh"),
                _ => new MetadataEntityExtractor(),
            };
            var options = new PrepOptions
            {
                ReplaceRate = parse.GetValue(replaceRate), TextOnlyShare = parse.GetValue(textOnly), Seed = parse.GetValue(seed),
                Masks = maskMode, MaxEntities = parse.GetValue(maxEntities),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
            if (parse.GetValue(workers) < 1)
                throw new UsageException("--workers must be at least 1");

            using var dino = groundingPath is null ? null : new GroundingDino(groundingPath, vocabPath!,
                new GroundingOptions { BoxThreshold = parse.GetValue(boxThreshold), TextThreshold = parse.GetValue(textThreshold) }, onnx, logger);
            using var sam = encoderPath is null ? null : new SamSegmenter(encoderPath, decoderPath!, onnx, logger);
            var job = new PrepJob(new PrepPipeline(options, extractor, dino, sam));
            var (inputDir, outputDir) = (parse.GetValue(input)!, parse.GetValue(output)!);
            if (!Directory.Exists(inputDir))
                throw new DirectoryNotFoundException($"--input folder not found: {inputDir}");
            if (Path.GetFullPath(inputDir).TrimEnd('/') == Path.GetFullPath(outputDir).TrimEnd('/'))
                throw new UsageException("--output must be a different folder from --input");
            var total = Directory.GetFiles(inputDir, "*.tar").Sum(UnimoG.Data.Shards.ShardReader.CountSamples);

            // A console per call: the static AnsiConsole would keep the Console.Out of its first use.
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
            PrepSummary summary = null!;
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var bar = ctx.AddTask("preparing", maxValue: Math.Max(total, 1));
                    var progress = new Progress<PrepProgress>(p =>
                    {
                        bar.Value = Math.Min(p.SamplesDone, bar.MaxValue);
                        bar.Description = $"shards {p.ShardsDone}/{p.ShardsTotal}  samples {p.SamplesDone}/{total}  errors {p.Errors}";
                    });
                    summary = await job.RunAsync(inputDir, outputDir, parse.GetValue(workers), progress, ct);
                    bar.Value = bar.MaxValue;
                });
            console.MarkupLineInterpolated(
                $"prepared {summary.ShardsPrepared} shard(s), skipped {summary.ShardsSkipped} finished; {summary.Samples} samples, {summary.Errors} errors (listed in each *.index.json) -> {outputDir}");
            return 0;
        });
        return command;
    }

    /// <summary>Warnings (e.g. the CUDA fallback) to standard error.</summary>
    private sealed class StderrLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                Console.Error.WriteLine($"unimog: {logLevel.ToString().ToLowerInvariant()}: {formatter(state, exception)}");
        }
    }
}
