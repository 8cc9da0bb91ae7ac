namespace UnimoG.Data.Shards;

/// <summary>
/// One sample of a shard: its key, its members by extension (<c>jpg</c>, <c>txt</c>, <c>seg.png</c>...), and an
/// error when the shard itself is wrong about it (the key reappears after other keys, or two members share a name).
/// </summary>
public sealed record ShardSample<T>(string Key, IReadOnlyDictionary<string, T> Members, string? Error = null);
