using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace UnimoG.Cli.Recipe;

/// <summary>What a stage did: ran it, found its output complete and adopted it, or resumed it from a checkpoint.</summary>
public enum StageOutcome { Ran, Adopted, Resumed }

/// <summary>
/// One step of a recipe. <see cref="IsComplete"/> says whether the stage's output already exists whole (a run's final
/// export, a finished cache): such a stage is marked done without running ("adopted"). <see cref="Run"/> does the work
/// and must be resumable itself (checkpoints of its own), so an interrupted stage continues where it stopped.
/// </summary>
public sealed record RecipeStage(string Name, string Description, Func<bool> IsComplete, Func<StageContext, StageOutcome> Run);

/// <summary>What a running stage gets: its log, the cancellation of the whole recipe.</summary>
public sealed record StageContext(string Name, Action<string> Log, CancellationToken Cancel);

/// <summary>A recipe that cannot run (a lock held, an unknown stage): one line for the user.</summary>
public sealed class RecipeException(string message) : Exception(message);

/// <summary>
/// Runs a recipe: a plain list of stages in order. Each finished stage leaves a done-marker
/// <c>{work}/recipe/{stage}.done.json</c> (outcome, wall and CPU seconds, load average at start and end, peak RSS);
/// a stage with a marker is skipped, <c>--from STAGE</c> deletes the markers of that stage and all after it. Every
/// marker is also collected in <c>{work}/recipe.json</c>. A lock file <c>{work}/recipe.lock</c> (the holder's pid)
/// refuses a second concurrent recipe on the same work folder; a lock whose process is gone is taken over.
/// </summary>
public sealed class RecipeRunner(string workDir, IReadOnlyList<RecipeStage> stages, Action<string> log)
{
    public const string LockFile = "recipe.lock";
    public const string SummaryFile = "recipe.json";

    public string MarkerDir => Path.Combine(workDir, "recipe");
    public string MarkerPath(string stage) => Path.Combine(MarkerDir, stage + ".done.json");

    /// <summary>
    /// Runs every stage not yet done (all from <paramref name="from"/> on when given, up to <paramref name="until"/>);
    /// with <paramref name="only"/> just that stage, redone, whatever the state of the earlier ones (to start a stage
    /// whose inputs exist while an earlier stage still runs elsewhere, or to redo one stage alone).
    /// </summary>
    public void Run(string? from = null, string? until = null, CancellationToken cancel = default, string? only = null)
    {
        if (only is not null && stages.All(s => s.Name != only))
            throw new RecipeException($"--only {only}: no such stage (stages: {string.Join(", ", stages.Select(s => s.Name))})");
        if (from is not null && stages.All(s => s.Name != from))
            throw new RecipeException($"--from {from}: no such stage (stages: {string.Join(", ", stages.Select(s => s.Name))})");
        if (until is not null && stages.All(s => s.Name != until))
            throw new RecipeException($"--until {until}: no such stage (stages: {string.Join(", ", stages.Select(s => s.Name))})");
        Directory.CreateDirectory(MarkerDir);
        using var held = AcquireLock();
        // --from redoes: those stages run their code again even when their output is complete (runs continue from
        // their checkpoints, so a finished run re-exports; delete a run folder to train it afresh).
        var redo = only is not null ? [only]
            : from is null ? [] : stages.SkipWhile(s => s.Name != from).Select(s => s.Name).ToHashSet();
        foreach (var name in redo)
            File.Delete(MarkerPath(name));
        foreach (var stage in stages.Where(s => only is null || s.Name == only))
        {
            cancel.ThrowIfCancellationRequested();
            if (File.Exists(MarkerPath(stage.Name)))
            {
                log($"[{stage.Name}] done (marker {MarkerPath(stage.Name)})");
            }
            else
            {
                var meter = StageMeter.Start();
                StageOutcome outcome;
                if (!redo.Contains(stage.Name) && stage.IsComplete())
                {
                    outcome = StageOutcome.Adopted;
                    log($"[{stage.Name}] output complete: adopted without running");
                }
                else
                {
                    log($"[{stage.Name}] {stage.Description}");
                    outcome = stage.Run(new StageContext(stage.Name, line => log($"[{stage.Name}] {line}"), cancel));
                    if (!stage.IsComplete())
                        throw new RecipeException($"stage {stage.Name} finished but its output is incomplete");
                }
                var marker = meter.Stop(stage.Name, outcome);
                WriteJson(MarkerPath(stage.Name), marker);
                log($"[{stage.Name}] {outcome.ToString().ToLowerInvariant()} in {(double)marker["wall_seconds"]! / 60:0.0} min (cpu {(double)marker["cpu_seconds"]! / 60:0.0} min, peak RSS {(double)marker["peak_rss_mb"]!:0} MB)");
            }
            WriteSummary();
            if (stage.Name == until) break;
        }
    }

    /// <summary>Every stage with its marker (null when not done), in order: <c>{work}/recipe.json</c>.</summary>
    public JsonObject Summary()
    {
        var list = new JsonArray();
        foreach (var s in stages)
        {
            var marker = File.Exists(MarkerPath(s.Name)) ? JsonNode.Parse(File.ReadAllText(MarkerPath(s.Name))) : null;
            list.Add(new JsonObject { ["stage"] = s.Name, ["description"] = s.Description, ["done"] = marker });
        }
        return new JsonObject { ["format"] = "unimog-recipe/1", ["stages"] = list };
    }

    private void WriteSummary() => WriteJson(Path.Combine(workDir, SummaryFile), Summary());

    private static void WriteJson(string path, JsonNode node)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, path, overwrite: true);
    }

    private IDisposable AcquireLock()
    {
        var path = Path.Combine(workDir, LockFile);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                using (var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
                using (var w = new StreamWriter(f))
                    w.Write(Environment.ProcessId.ToString());
                return new Lock(path);
            }
            catch (IOException) when (File.Exists(path))
            {
                var text = File.ReadAllText(path).Trim();
                if (int.TryParse(text, out var pid) && Alive(pid))
                    throw new RecipeException($"another recipe (pid {pid}) is running on {workDir} ({path}); wait for it or stop it first");
                log($"removing the stale lock {path} (process {text} is gone)");
                File.Delete(path);
            }
        }
        throw new RecipeException($"could not take the lock {path}");
    }

    private static bool Alive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try { using var p = Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
    }

    private sealed class Lock(string path) : IDisposable
    {
        public void Dispose()
        {
            if (File.Exists(path) && File.ReadAllText(path).Trim() == Environment.ProcessId.ToString()) File.Delete(path);
        }
    }
}
