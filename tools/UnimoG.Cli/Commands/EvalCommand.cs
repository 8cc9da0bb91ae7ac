using System.CommandLine;
using UnimoG.Mini.Bench;

namespace UnimoG.Cli;

/// <summary><c>unimog eval ...</c>: EmojiBench (docs/emojibench.md), ablation tables, sample grids, training curves.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var command = new Command("eval", "Measure models: EmojiBench, tables of several models, sample grids, training-curve plots (see docs/emojibench.md).");
        command.Subcommands.Add(EvalEmojiBenchCommand.Create());
        command.Subcommands.Add(EvalCompareCommand.Create());
        command.Subcommands.Add(EvalGridCommand.Create());
        command.Subcommands.Add(EvalPlotCommand.Create());
        command.Subcommands.Add(EvalSamplersCommand.Create());
        return command;
    }

    /// <summary>"seen", "held-out", "text" or "all" (comma-separated lists allowed).</summary>
    public static IReadOnlyList<EmojiBenchSubset> Subsets(string value)
    {
        var list = new List<EmojiBenchSubset>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            list.AddRange(part switch
            {
                "all" => [EmojiBenchSubset.Seen, EmojiBenchSubset.HeldOut, EmojiBenchSubset.Text],
                "seen" => [EmojiBenchSubset.Seen],
                "held-out" => [EmojiBenchSubset.HeldOut],
                "text" => [EmojiBenchSubset.Text],
                _ => throw new UsageException($"--subset: '{part}' is not one of seen, held-out, text, all"),
            });
        return list.Count > 0 ? list.Distinct().ToList() : throw new UsageException("--subset: name at least one of seen, held-out, text, all");
    }

    public static Option<string> SubsetOption() => new("--subset") { Description = "seen, held-out, text or all (comma-separated lists allowed)", DefaultValueFactory = _ => "all" };
    public static Option<int> StepsOption() => new("--steps") { Description = "sampling steps (the paper: 50 DDIM steps)", DefaultValueFactory = _ => 50 };

    public static Option<string> SamplerOption()
    {
        var o = new Option<string>("--sampler") { Description = $"sampler: {string.Join(", ", UnimoG.Data.Sampling.SamplerPresets.Names)} (the paper: ddim)", DefaultValueFactory = _ => "ddim" };
        o.AcceptOnlyFromAmong([.. UnimoG.Data.Sampling.SamplerPresets.Names]);
        return o;
    }
    public static Option<float> GuidanceOption() => new("--guidance") { Description = "classifier-free guidance scale (the paper: 5)", DefaultValueFactory = _ => 5f };
    public static Option<ulong> SeedOption() => new("--seed") { Description = "generation seed (each prompt's seed derives from it)", DefaultValueFactory = _ => 0UL };
    public static Option<ulong> PromptSeedOption() => new("--prompt-seed") { Description = "seed of the fixed prompt choice (keep the default to compare models)", DefaultValueFactory = _ => EmojiBenchPrompts.DefaultSeed };
    public static Option<string?> TokenizerOption() => new("--tokenizer") { Description = "LLaMA-2's tokenizer.model when the model folder cannot find it (or Model__TokenizerPath)" };
    public static Option<int> ThreadsOption() => new("--threads") { Description = "torch threads (0 = torch's default)" };

    /// <summary>Argument mistakes the library reports (a bad count, a missing folder) as one-line usage errors.</summary>
    public static async Task<T> Usage<T>(Func<Task<T>> run)
    {
        try
        {
            return await run();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e is ArgumentOutOfRangeException { ActualValue: { } } r ? r.Message.Split(Environment.NewLine)[0] : e.Message);
        }
    }
}
