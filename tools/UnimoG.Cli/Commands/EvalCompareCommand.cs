using System.CommandLine;
using UnimoG.Mini.Bench;

namespace UnimoG.Cli;

/// <summary><c>unimog eval compare A.json B.json C.json</c>: one table of several EmojiBench reports (full / w/o VisualEnh / w/o Tuning).</summary>
internal static class EvalCompareCommand
{
    public static Command Create()
    {
        var reports = new Argument<string[]>("REPORT") { Description = "EmojiBench reports (eval emojibench --json), in the table's row order", Arity = ArgumentArity.ZeroOrMore };
        var json = new Option<string[]>("--json") { Description = "a report (same as the arguments; repeatable)" };
        var labels = new Option<string?>("--labels") { Description = "comma-separated row names replacing the reports' labels (e.g. full,w/o VisualEnh,w/o Tuning)" };
        var command = new Command("compare", "Print one EmojiBench table of several models (reports of eval emojibench --json) on the same prompts.") { reports, json, labels };
        command.SetAction(parse =>
        {
            var paths = (parse.GetValue(reports) ?? []).Concat(parse.GetValue(json) ?? []).ToList();
            if (paths.Count == 0) throw new UsageException("give at least one report (eval emojibench --json FILE)");
            var loaded = paths.Select(EmojiBenchReport.ReadJson).ToList();
            if (parse.GetValue(labels) is { } l)
            {
                var names = l.Split(',', StringSplitOptions.TrimEntries);
                if (names.Length != loaded.Count) throw new UsageException($"--labels: {names.Length} names for {loaded.Count} reports");
                loaded = loaded.Select((r, i) => r with { Label = names[i] }).ToList();
            }
            Console.Out.WriteLine(EmojiBenchTable.Compare(loaded));
            return 0;
        });
        return command;
    }
}
