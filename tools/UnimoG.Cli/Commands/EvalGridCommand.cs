using System.CommandLine;
using UnimoG.Mini.Bench;

namespace UnimoG.Cli;

/// <summary><c>unimog eval grid --models A,B,C --out grid.png</c>: the same EmojiBench prompts drawn by several models, as one PNG.</summary>
internal static class EvalGridCommand
{
    public static Command Create()
    {
        var models = new Option<string>("--models") { Description = "comma-separated model folders, one column group each", Required = true };
        var labels = new Option<string?>("--labels") { Description = "comma-separated column titles (default: the folders' names)" };
        var output = new Option<string>("--out") { Description = "output PNG", Required = true };
        var rows = new Option<int>("--prompts") { Description = "rows per subset (the benchmark's first prompts; 5 shows each template once)", DefaultValueFactory = _ => 5 };
        var perModel = new Option<int>("--images") { Description = "images per model and prompt", DefaultValueFactory = _ => 2 };
        var subset = EvalCommand.SubsetOption();
        var steps = EvalCommand.StepsOption();
        var guidance = EvalCommand.GuidanceOption();
        var seed = EvalCommand.SeedOption();
        var promptSeed = EvalCommand.PromptSeedOption();
        var art = EmojiWorldCommand.ArtOption();
        var tokenizer = EvalCommand.TokenizerOption();
        var threads = EvalCommand.ThreadsOption();
        var command = new Command("grid", "Draw a PNG grid of the same EmojiBench prompts across models (references on the left).")
        {
            models, labels, output, rows, perModel, subset, steps, guidance, seed, promptSeed, art, tokenizer, threads,
        };
        command.SetAction((parse, ct) => EvalCommand.Usage(async () =>
        {
            if (parse.GetValue(rows) is < 1 or > 50) throw new UsageException("--prompts must be 1..50");
            if (parse.GetValue(perModel) is < 1 or > 8) throw new UsageException("--images must be 1..8");
            if (parse.GetValue(steps) is < 1 or > 1000) throw new UsageException("--steps must be 1..1000");
            var dirs = parse.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (dirs.Length == 0) throw new UsageException("--models: give at least one model folder");
            var names = parse.GetValue(labels)?.Split(',', StringSplitOptions.TrimEntries);
            if (names is not null && names.Length != dirs.Length) throw new UsageException($"--labels: {names.Length} names for {dirs.Length} models");
            var options = new EmojiBenchGridOptions
            {
                Models = dirs, Labels = names, Subsets = EvalCommand.Subsets(parse.GetValue(subset)!), PromptsPerSubset = parse.GetValue(rows),
                ImagesPerModel = parse.GetValue(perModel), Steps = parse.GetValue(steps), GuidanceScale = parse.GetValue(guidance),
                Seed = parse.GetValue(seed), PromptSeed = parse.GetValue(promptSeed), ArtDir = parse.GetValue(art),
                TokenizerPath = parse.GetValue(tokenizer) ?? Environment.GetEnvironmentVariable("Model__TokenizerPath"), Threads = parse.GetValue(threads),
            };
            var png = await EmojiBenchGrid.RenderAsync(options, line => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}"), ct);
            var path = parse.GetValue(output)!;
            if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
            await File.WriteAllBytesAsync(path, png, ct);
            Console.Out.WriteLine($"wrote {path}");
            return 0;
        }));
        return command;
    }
}
