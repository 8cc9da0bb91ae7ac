using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace UnimoG.Data.Checkpoints;

/// <summary>
/// <c>manifest.json</c> of a checkpoint folder: format, step, creation time, and the SHA-256 and size of every other
/// file. Written last, so a folder whose files all match its manifest is complete.
/// </summary>
public static class CheckpointManifest
{
    public const string FileName = "manifest.json";
    public const string Format = "unimog-checkpoint/1";

    /// <summary>Fsyncs every file of <paramref name="dir"/>, then writes and fsyncs the manifest listing them.</summary>
    public static void Write(string dir, long step)
    {
        var files = new JsonObject();
        foreach (var file in Directory.GetFiles(dir, "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
        {
            DirectorySync.File(file);
            var rel = Path.GetRelativePath(dir, file).Replace('\\', '/');
            files[rel] = new JsonObject { ["sha256"] = Sha256(file), ["bytes"] = new FileInfo(file).Length };
        }
        var manifest = new JsonObject
        {
            ["format"] = Format,
            ["step"] = step,
            ["created_utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["files"] = files,
        };
        using var fs = new FileStream(Path.Combine(dir, FileName), FileMode.CreateNew, FileAccess.Write);
        fs.Write(JsonSerializer.SerializeToUtf8Bytes(manifest, new JsonSerializerOptions { WriteIndented = true }));
        fs.Flush(flushToDisk: true);
    }

    /// <summary>Null when the folder's manifest lists every file with matching size (and, with <paramref name="hashes"/>, SHA-256); otherwise what is wrong.</summary>
    public static (string? Problem, DateTimeOffset? Created) Validate(string dir, long step, bool hashes = true)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) return ($"{FileName} is missing", null);
        JsonObject manifest;
        try { manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { return ($"{FileName} is not valid JSON: {e.Message}", null); }
        DateTimeOffset? created = DateTimeOffset.TryParse((string?)manifest["created_utc"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var c) ? c : null;
        if ((long?)manifest["step"] != step) return ($"{FileName} says step {(long?)manifest["step"]}, the folder step {step}", created);
        if (manifest["files"] is not JsonObject files || files.Count == 0) return ($"{FileName} lists no files", created);
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
}
