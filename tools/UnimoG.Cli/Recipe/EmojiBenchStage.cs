using UnimoG.Mini.Bench;

namespace UnimoG.Cli.Recipe;

/// <summary>
/// EmojiBench on the three exported models (full, w/o VisualEnh, w/o Tuning) with the recipe's evaluators, the same
/// prompts and seeds: <c>{work}/emojibench/{model}.json</c> per model (a finished one is kept, so an interrupted stage
/// continues with the next model), the comparison <c>table.md</c>, and the model cards rewritten with the table.
/// </summary>
internal static class EmojiBenchStage
{
    /// <summary>Complete when table.md is newer than the models' export.json.</summary>
    public static bool Complete(MiniRecipe r) => ModelExport.NewerThanExport(r, r.W("emojibench", "table.md"));

    public static StageOutcome Run(MiniRecipe r, MiniRecipeOptions o, StageContext c)
    {
        var dir = r.W("emojibench");
        Directory.CreateDirectory(dir);
        var reports = new List<EmojiBenchReport>();
        var resumed = false;
        foreach (var (name, _, label) in MiniRecipe.Variants)
        {
            var json = Path.Combine(dir, name + ".json");
            // a report of this export is kept (an interrupted stage continues with the next model); an older one is redone
            if (ModelExport.NewerThanExport(r, json))
            { reports.Add(EmojiBenchReport.ReadJson(json)); resumed = true; continue; }
            var options = new EmojiBenchOptions
            {
                ModelDir = r.ModelDir(name), EvaluatorsDir = r.Run("evaluators"), ArtDir = r.Art, Label = label,
                Steps = o.BenchSteps, ImagesPerPrompt = 4, Threads = o.Threads, Limit = o.BenchLimit,
                ImagesDir = Path.Combine(dir, name), ReferenceRows = reports.Count == 0,
            };
            var report = EmojiBench.RunAsync(options, c.Log, c.Cancel).GetAwaiter().GetResult();
            report.WriteJson(json);
            c.Log($"{label}:\n{report.ToMarkdownTable()}");
            reports.Add(report);
        }
        File.WriteAllText(Path.Combine(dir, "table.md"), EmojiBenchTable.Compare(reports));
        foreach (var (name, _, _) in MiniRecipe.Variants) ModelCard.Write(r, o, r.ModelDir(name), name);
        ModelCard.Write(r, o, o.Out, "full");
        return resumed ? StageOutcome.Resumed : StageOutcome.Ran;
    }
}
