using System.Formats.Tar;

namespace UnimoG.Data.Shards;

/// <summary>
/// Writes WebDataset tar shards: USTAR entries with a fixed timestamp, mode 0644 and no owner, so equal members give
/// byte-identical shards. Every name must have a <see cref="ShardKey"/> (a keyless member would belong to no sample).
/// </summary>
public sealed class ShardWriter(Stream stream, bool leaveOpen = false) : IDisposable, IAsyncDisposable
{
    /// <summary>Timestamp of every written entry (reruns must give identical bytes).</summary>
    public static readonly DateTimeOffset EntryTime = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly TarWriter _tar = new(stream, TarEntryFormat.Ustar, leaveOpen);

    public void Add(string name, byte[] data) => _tar.WriteEntry(Entry(name, data));

    public Task AddAsync(string name, byte[] data, CancellationToken cancellationToken = default) =>
        _tar.WriteEntryAsync(Entry(name, data), cancellationToken);

    /// <summary>
    /// Writes a whole shard under a temporary name, flushed to disk, then renames it into place: a reader never sees
    /// a half-written shard, and an interrupted run leaves only the temporary.
    /// </summary>
    public static void WriteFile(string path, IEnumerable<(string Name, byte[] Data)> members)
    {
        var partial = path + ".partial";
        try
        {
            using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write))
            {
                using (var writer = new ShardWriter(file, leaveOpen: true))
                    foreach (var (name, data) in members) writer.Add(name, data);
                file.Flush(flushToDisk: true);
            }
            File.Move(partial, path, overwrite: true);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    private static UstarTarEntry Entry(string name, byte[] data)
    {
        if (!ShardKey.TrySplit(name, out _, out _))
            throw new ArgumentException($"'{name}' is not a sample member name (a key, a dot, an extension)", nameof(name));
        return new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(data, writable: false),
            ModificationTime = EntryTime,
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            Uid = 0, Gid = 0, UserName = "", GroupName = "",
        };
    }

    public void Dispose() => _tar.Dispose();

    public ValueTask DisposeAsync() => _tar.DisposeAsync();
}
