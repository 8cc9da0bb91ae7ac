using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace UnimoG.Engines.Trainer.Checkpoints;

/// <summary>A checkpoint folder and whether it survived intact (<see cref="Problem"/> says what is wrong if not).</summary>
public sealed record CheckpointInfo(string Path, long Step, bool Valid, string? Problem, DateTimeOffset? CreatedUtc);

/// <summary>
/// The checkpoints of a run, <c>{output_dir}/checkpoints/step-00000500/</c>. A checkpoint is written into a temporary
/// folder, every file fsynced, then a <c>manifest.json</c> with the SHA-256 and size of every file, then the folder is
/// renamed into place and the parent fsynced: a crash leaves either the whole checkpoint or an ignored temporary.
/// On resume the newest checkpoint whose manifest, files and hashes all check out is used; damaged newer ones are
/// reported with a warning.
/// </summary>
public sealed class CheckpointStore(string outputDir, ILogger logger)
{
    public const string ManifestName = "manifest.json";
    private const string Prefix = "step-";

    public string Root { get; } = Path.Combine(outputDir, "checkpoints");

    public static string NameOf(long step) => Prefix + step.ToString("D8", CultureInfo.InvariantCulture);

    /// <summary>Writes a checkpoint for <paramref name="step"/>: <paramref name="writeFiles"/> fills the folder it is given.</summary>
    public string Write(long step, Action<string> writeFiles)
    {
        Directory.CreateDirectory(Root);
        var final = Path.Combine(Root, NameOf(step));
        var tmp = Path.Combine(Root, $".tmp-{NameOf(step)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            writeFiles(tmp);
            var files = new JsonObject();
            foreach (var file in Directory.GetFiles(tmp, "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
            {
                using (var fs = new FileStream(file, FileMode.Open, FileAccess.ReadWrite)) fs.Flush(true);
                var rel = Path.GetRelativePath(tmp, file).Replace('\\', '/');
                files[rel] = new JsonObject { ["sha256"] = Sha256(file), ["bytes"] = new FileInfo(file).Length };
            }
            var manifest = new JsonObject
            {
                ["format"] = "unimog-checkpoint/1",
                ["step"] = step,
                ["created_utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["files"] = files,
            };
            var manifestPath = Path.Combine(tmp, ManifestName);
            using (var fs = new FileStream(manifestPath, FileMode.CreateNew, FileAccess.Write))
            {
                fs.Write(JsonSerializer.SerializeToUtf8Bytes(manifest, new JsonSerializerOptions { WriteIndented = true }));
                fs.Flush(true);
            }
            foreach (var dir in Directory.GetDirectories(tmp, "*", SearchOption.AllDirectories).Append(tmp)) FsyncDirectory(dir);
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);   // a damaged or older copy of the same step
            Directory.Move(tmp, final);
            FsyncDirectory(Root);
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
            var (problem, created) = Validate(dir, step, hashes);
            list.Add(new CheckpointInfo(dir, step, problem is null, problem, created));
        }
        return [.. list.OrderByDescending(c => c.Step)];
    }

    /// <summary>The newest intact checkpoint; each damaged newer one is logged as a warning and skipped.</summary>
    public CheckpointInfo? NewestValid()
    {
        foreach (var c in List())
        {
            if (c.Valid) return c;
            logger.LogWarning("Checkpoint {Checkpoint} is damaged ({Problem}); falling back to the previous one", c.Path, c.Problem);
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
        catch (IOException e) { logger.LogWarning("Could not delete old checkpoint {Checkpoint}: {Error}", dir, e.Message); }
    }

    /// <summary>Null when the folder's manifest lists every file with matching size and SHA-256; otherwise what is wrong.</summary>
    public static (string? Problem, DateTimeOffset? Created) Validate(string dir, long step, bool hashes = true)
    {
        var path = Path.Combine(dir, ManifestName);
        if (!File.Exists(path)) return ("manifest.json is missing", null);
        JsonObject manifest;
        try { manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { return ($"manifest.json is not valid JSON: {e.Message}", null); }
        DateTimeOffset? created = DateTimeOffset.TryParse((string?)manifest["created_utc"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var c) ? c : null;
        if ((long?)manifest["step"] != step) return ($"manifest.json says step {(long?)manifest["step"]}, the folder step {step}", created);
        if (manifest["files"] is not JsonObject files || files.Count == 0) return ("manifest.json lists no files", created);
        foreach (var (rel, info) in files)
        {
            var file = Path.Combine(dir, rel);
            if (!File.Exists(file)) return ($"{rel} is missing", created);
            var bytes = (long?)info?["bytes"];
            if (new FileInfo(file).Length != bytes) return ($"{rel} has {new FileInfo(file).Length} bytes, the manifest {bytes}", created);
            if (hashes && Sha256(file) != (string?)info?["sha256"]) return ($"{rel} does not match its SHA-256", created);
        }
        return (null, created);
    }

    private static string Sha256(string file)
    {
        using var fs = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc")]
    private static extern int close(int fd);

    /// <summary>fsync a directory so a rename inside it is durable (Linux; a no-op elsewhere).</summary>
    private static void FsyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = open(dir, 0x10000 /* O_DIRECTORY */);
        if (fd < 0) return;
        try { fsync(fd); } finally { close(fd); }
    }
}
