using System.Formats.Tar;
using System.Runtime.CompilerServices;

namespace UnimoG.Data.Shards;

/// <summary>
/// Reads WebDataset tar shards (System.Formats.Tar): regular members grouped into samples by <see cref="ShardKey"/>.
/// A malformed archive throws <see cref="InvalidDataException"/> after the samples read so far.
/// </summary>
public static class ShardReader
{
    /// <summary>Samples of a tar stream in order, with their bytes; a shard's own mistakes come back as <see cref="ShardSample{T}.Error"/>.</summary>
    public static async IAsyncEnumerable<ShardSample<byte[]>> ReadAsync(Stream tar, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var reader = new TarReader(tar, leaveOpen: true);
        var grouper = new SampleGrouper<byte[]>();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TarEntry? entry;
            try
            {
                entry = await reader.GetNextEntryAsync(copyData: false, cancellationToken);
            }
            catch (Exception e) when (IsMalformed(e))
            {
                throw Malformed(e);
            }
            if (entry is null) break;
            if (!IsFile(entry)) continue;
            var data = new byte[entry.Length];
            if (entry.DataStream is { } stream)
            {
                try { await stream.ReadExactlyAsync(data, cancellationToken); }
                catch (EndOfStreamException e) { throw new InvalidDataException($"malformed tar archive: member {entry.Name} is cut short", e); }
            }
            if (grouper.Add(entry.Name, data) is { } sample) yield return sample;
        }
        if (grouper.Finish() is { } last) yield return last;
    }

    /// <summary>Samples of a tar file in order, with their bytes.</summary>
    public static IEnumerable<ShardSample<byte[]>> Read(string path)
    {
        using var file = File.OpenRead(path);
        using var reader = new TarReader(file);
        var grouper = new SampleGrouper<byte[]>();
        while (Next(reader, path, copyData: true) is { } entry)
        {
            if (!IsFile(entry)) continue;
            using var data = new MemoryStream();
            entry.DataStream?.CopyTo(data);
            if (grouper.Add(entry.Name, data.ToArray()) is { } sample) yield return sample;
        }
        if (grouper.Finish() is { } last) yield return last;
    }

    /// <summary>
    /// The samples of a folder of shards (<c>*.tar</c>, sorted by name), as member positions only, so a large dataset
    /// costs little memory. Keys must be unique over the folder (caches are keyed by them): a shard's mistake throws.
    /// </summary>
    public static IReadOnlyList<ShardSample<ShardMember>> Index(string folder, string what)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{what}: data folder not found: {folder}");
        var shards = Directory.GetFiles(folder, "*.tar").OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (shards.Count == 0) throw new FileNotFoundException($"{what}: no *.tar shards in {folder}");
        var samples = new List<ShardSample<ShardMember>>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var shard in shards)
        {
            using var file = File.OpenRead(shard);
            using var reader = new TarReader(file);
            var grouper = new SampleGrouper<ShardMember>();
            void Keep(ShardSample<ShardMember>? sample)
            {
                if (sample is null) return;
                if (sample.Error is { } error) throw new InvalidDataException($"{shard}: sample '{sample.Key}': {error}");
                if (!keys.Add(sample.Key)) throw new InvalidDataException($"{shard}: sample key '{sample.Key}' is also in an earlier shard (keys must be unique)");
                samples.Add(sample);
            }
            while (Next(reader, shard, copyData: false) is { } entry)
                if (IsFile(entry))
                    Keep(grouper.Add(entry.Name, new ShardMember(shard, ShardKey.Normalize(entry.Name), entry.DataOffset, entry.Length)));
            Keep(grouper.Finish());
        }
        return samples;
    }

    /// <summary>Number of samples in a shard, reading only the headers; a damaged shard counts what was readable.</summary>
    public static int CountSamples(string path)
    {
        using var file = File.OpenRead(path);
        using var reader = new TarReader(file);
        var grouper = new SampleGrouper<long>();
        var count = 0;
        try
        {
            while (reader.GetNextEntry(copyData: false) is { } entry)
                if (IsFile(entry) && grouper.Add(entry.Name, 0) is not null) count++;
        }
        catch (Exception e) when (IsMalformed(e))
        {
            // A damaged shard is reported when it is read; a count is only for progress.
        }
        return count + (grouper.Finish() is null ? 0 : 1);
    }

    private static TarEntry? Next(TarReader reader, string path, bool copyData)
    {
        try { return reader.GetNextEntry(copyData); }
        catch (Exception e) when (IsMalformed(e)) { throw new InvalidDataException($"{path}: malformed tar archive: {e.Message}", e); }
    }

    private static bool IsFile(TarEntry entry) => entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile;

    private static bool IsMalformed(Exception e) => e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException;

    private static InvalidDataException Malformed(Exception e) => new($"malformed tar archive: {e.Message}", e);
}
