using System.Globalization;

namespace UnimoG.Data.Checkpoints;

/// <summary>
/// The checkpoints of a run, <c>{root}/step-00000500/</c>, without knowing what is in them (callers write their
/// tensors). A checkpoint is written into a temporary folder, every file fsynced, then a
/// <see cref="CheckpointManifest"/>, then the folder is renamed into place and the root fsynced: a crash leaves
/// either the whole checkpoint or an ignored temporary. On resume the newest checkpoint whose manifest, files and
/// hashes all check out is used; each damaged newer one is reported through <c>warn</c>.
/// </summary>
public sealed class CheckpointStore(string root, Action<string>? warn = null)
{
    /// <summary>The folder of a run's checkpoints inside its output folder.</summary>
    public const string FolderName = "checkpoints";
    private const string Prefix = "step-";

    public string Root { get; } = root;

    /// <summary>The store of the run writing to <paramref name="outputDir"/>: <c>{outputDir}/checkpoints/</c>.</summary>
    public static CheckpointStore ForRun(string outputDir, Action<string>? warn = null) => new(Path.Combine(outputDir, FolderName), warn);

    public static string NameOf(long step) => Prefix + step.ToString("D8", CultureInfo.InvariantCulture);

    /// <summary>Writes the checkpoint of <paramref name="step"/>: <paramref name="writeFiles"/> fills the folder it is given.</summary>
    public string Write(long step, Action<string> writeFiles)
    {
        Directory.CreateDirectory(Root);
        var final = Path.Combine(Root, NameOf(step));
        var tmp = Path.Combine(Root, $".tmp-{NameOf(step)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            writeFiles(tmp);
            CheckpointManifest.Write(tmp, step);
            foreach (var dir in Directory.GetDirectories(tmp, "*", SearchOption.AllDirectories).Append(tmp)) DirectorySync.Folder(dir);
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);   // a damaged or older copy of the same step
            Directory.Move(tmp, final);
            DirectorySync.Folder(Root);
            return final;
        }
        catch
        {
            try { Directory.Delete(tmp, recursive: true); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Every checkpoint folder, newest step first, each validated (<paramref name="hashes"/>: also recompute every SHA-256).</summary>
    public IReadOnlyList<CheckpointInfo> List(bool hashes = true)
    {
        if (!Directory.Exists(Root)) return [];
        var list = new List<CheckpointInfo>();
        foreach (var dir in Directory.GetDirectories(Root, Prefix + "*"))
        {
            if (!long.TryParse(Path.GetFileName(dir)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var step)) continue;
            var (problem, created) = CheckpointManifest.Validate(dir, step, hashes);
            list.Add(new CheckpointInfo(dir, step, problem is null, problem, created));
        }
        return [.. list.OrderByDescending(c => c.Step)];
    }

    /// <summary>The newest intact checkpoint; each damaged newer one is reported and skipped.</summary>
    public CheckpointInfo? NewestValid()
    {
        foreach (var c in List())
        {
            if (c.Valid) return c;
            warn?.Invoke($"Checkpoint {c.Path} is damaged ({c.Problem}); falling back to the previous one");
        }
        return null;
    }

    /// <summary>
    /// Deletes all but the newest <paramref name="keepLast"/> intact checkpoints (and leftover temporaries). Intact here
    /// means manifest and sizes (hashing every checkpoint after each save would cost more than the save).
    /// </summary>
    public void Prune(int keepLast)
    {
        var all = List(hashes: false);
        var keep = all.Where(c => c.Valid).Take(keepLast).Select(c => c.Path).ToHashSet(StringComparer.Ordinal);
        var oldestKept = all.Where(c => keep.Contains(c.Path)).Select(c => c.Step).DefaultIfEmpty(long.MaxValue).Min();
        foreach (var c in all)
            if (!keep.Contains(c.Path) && c.Step < oldestKept) Delete(c.Path);
        foreach (var tmp in Directory.GetDirectories(Root, ".tmp-*")) Delete(tmp);
    }

    private void Delete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException e) { warn?.Invoke($"Could not delete old checkpoint {dir}: {e.Message}"); }
    }
}
