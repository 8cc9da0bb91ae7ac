using System.Formats.Tar;
using System.Runtime.CompilerServices;

namespace UnimoG.Engines.DataPrep.Shards;

/// <summary>One sample of a WebDataset shard: its key, its members by extension (<c>jpg</c>, <c>txt</c>, <c>json</c>...), and
/// an error when the shard itself is wrong about it (a key that reappears after other keys).</summary>
public sealed record ShardSample(string Key, IReadOnlyDictionary<string, byte[]> Members, string? Error = null);

/// <summary>
/// WebDataset tar shards through System.Formats.Tar. A member <c>dir/abc.seg.png</c> has key <c>dir/abc</c> and
/// extension <c>seg.png</c> (the key ends at the first dot of the file name); consecutive members with one key form a
/// sample. Output entries are USTAR with a fixed timestamp, mode 0644 and no owner, so reruns are byte-identical.
/// </summary>
public static class WebDataset
{
    /// <summary>Timestamp of every written entry (reruns must give identical bytes).</summary>
    public static readonly DateTimeOffset EntryTime = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static (string Key, string Extension) SplitName(string path)
    {
        var slash = path.LastIndexOf('/');
        var dot = path.IndexOf('.', slash + 1);
        return dot <= slash + 1 ? (path, "") : (path[..dot], path[(dot + 1)..].ToLowerInvariant());
    }

    /// <summary>
    /// Samples of a tar stream in order. A malformed archive throws <see cref="InvalidDataException"/> after the samples
    /// read so far; a key that reappears after other keys comes back as a sample with an error.
    /// </summary>
    public static async IAsyncEnumerable<ShardSample> ReadAsync(Stream tar,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var reader = new TarReader(tar, leaveOpen: true);
        string? key = null;
        var members = new Dictionary<string, byte[]>();
        var seen = new HashSet<string>();
        string? error = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TarEntry? entry;
            try
            {
                entry = await reader.GetNextEntryAsync(copyData: false, cancellationToken);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException)
            {
                throw new InvalidDataException($"malformed tar archive: {e.Message}", e);
            }
            if (entry is null)
                break;
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                continue;
            var (k, ext) = SplitName(entry.Name.StartsWith("./") ? entry.Name[2..] : entry.Name);
            var data = new byte[entry.Length];
            if (entry.DataStream is { } stream)
            {
                try
                {
                    await stream.ReadExactlyAsync(data, cancellationToken);
                }
                catch (EndOfStreamException e)
                {
                    throw new InvalidDataException($"malformed tar archive: member {entry.Name} is cut short", e);
                }
            }
            if (k != key)
            {
                if (key is not null)
                    yield return new ShardSample(key, members, error);
                error = seen.Add(k) ? null : "the key appears again after other samples (a sample's members must be contiguous)";
                key = k;
                members = new Dictionary<string, byte[]>();
            }
            if (!members.TryAdd(ext, data))
                error ??= $"two members named {entry.Name}";
        }
        if (key is not null)
            yield return new ShardSample(key, members, error);
    }

    /// <summary>Number of samples (distinct consecutive keys) in a shard, reading only the headers.</summary>
    public static int CountSamples(string path)
    {
        using var file = File.OpenRead(path);
        using var reader = new TarReader(file);
        var (count, last) = (0, (string?)null);
        try
        {
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                    continue;
                var (k, _) = SplitName(entry.Name);
                if (k != last) count++;
                last = k;
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException)
        {
            // A damaged shard is reported when it is prepared; the count is only for the progress bar.
        }
        return count;
    }

    public static async Task WriteAsync(TarWriter writer, string name, byte[] data, CancellationToken cancellationToken)
    {
        var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            ModificationTime = EntryTime,
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            DataStream = new MemoryStream(data, writable: false),
        };
        await writer.WriteEntryAsync(entry, cancellationToken);
    }
}
