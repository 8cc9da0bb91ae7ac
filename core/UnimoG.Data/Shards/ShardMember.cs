namespace UnimoG.Data.Shards;

/// <summary>Where one tar member's bytes are (<see cref="Name"/> as <see cref="ShardKey.Normalize"/> gives it): read on demand with a seek, never held in memory.</summary>
public sealed record ShardMember(string Shard, string Name, long Offset, long Length)
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
