using System.Formats.Tar;

namespace UnimoG.Engines.Trainer.Data;

/// <summary>Where one tar member's bytes are: read on demand with a seek, never held in memory.</summary>
public sealed record TarMember(string Shard, string Name, long Offset, long Length)
{
    public byte[] Read()
    {
        var bytes = new byte[Length];
        using var fs = new FileStream(Shard, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 14, FileOptions.RandomAccess);
        fs.Seek(Offset, SeekOrigin.Begin);
        fs.ReadExactly(bytes);
        return bytes;
    }

    public string ReadText() => System.Text.Encoding.UTF8.GetString(Read());
}

/// <summary>
/// The samples of a folder of WebDataset tar shards (<c>*.tar</c>, sorted by name): members <c>{key}.{ext}</c> grouped
/// by key (the key ends at the first dot). Only member positions are kept, so a large dataset costs little memory.
/// </summary>
public static class ShardIndex
{
    public static IReadOnlyList<(string Key, IReadOnlyDictionary<string, TarMember> Members)> Read(string folder, string what)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{what}: data folder not found: {folder}");
        var shards = Directory.GetFiles(folder, "*.tar").OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (shards.Count == 0) throw new FileNotFoundException($"{what}: no *.tar shards in {folder}");
        var samples = new List<(string, IReadOnlyDictionary<string, TarMember>)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var shard in shards)
        {
            using var fs = File.OpenRead(shard);
            using var reader = new TarReader(fs);
            string? current = null;
            Dictionary<string, TarMember>? members = null;
            try
            {
                while (reader.GetNextEntry() is { } entry)
                {
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                    var name = Path.GetFileName(entry.Name);
                    var dot = name.IndexOf('.');
                    if (dot <= 0) continue;
                    var key = name[..dot];
                    if (key != current)
                    {
                        if (current is not null) samples.Add((current, members!));
                        if (!seen.Add(key)) throw new InvalidDataException($"{shard}: sample key '{key}' appears twice (members of a sample must be contiguous and keys unique)");
                        current = key;
                        members = new Dictionary<string, TarMember>(StringComparer.Ordinal);
                    }
                    members![name[(dot + 1)..]] = new TarMember(shard, name, entry.DataOffset, entry.Length);
                }
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException && !e.Message.Contains("appears twice"))
            {
                throw new InvalidDataException($"{shard}: malformed tar archive: {e.Message}", e);
            }
            if (current is not null) samples.Add((current, members!));
        }
        return samples;
    }
}
