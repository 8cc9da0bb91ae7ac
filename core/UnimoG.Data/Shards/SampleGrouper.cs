namespace UnimoG.Data.Shards;

/// <summary>
/// Groups members in archive order into samples by <see cref="ShardKey"/>: consecutive members with one key form a
/// sample. A key that comes back after other keys, or a second member with the same extension, marks the sample
/// with an error (webdataset raises for the latter; we let the caller decide).
/// </summary>
internal sealed class SampleGrouper<T>
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private string? _key;
    private Dictionary<string, T> _members = new(StringComparer.Ordinal);
    private string? _error;

    /// <summary>Adds one member; returns the previous sample when this member starts a new one.</summary>
    public ShardSample<T>? Add(string memberName, T value)
    {
        if (!ShardKey.TrySplit(memberName, out var key, out var extension)) return null;
        ShardSample<T>? finished = null;
        if (key != _key)
        {
            finished = Finish();
            _error = _seen.Add(key) ? null : "the key appears again after other samples (a sample's members must be contiguous)";
            _key = key;
        }
        if (!_members.TryAdd(extension, value))
            _error ??= $"two members named {ShardKey.Normalize(memberName)}";
        return finished;
    }

    /// <summary>The sample being collected, if any (call once more at the end of the archive).</summary>
    public ShardSample<T>? Finish()
    {
        if (_key is null) return null;
        var sample = new ShardSample<T>(_key, _members, _error);
        (_key, _members, _error) = (null, new Dictionary<string, T>(StringComparer.Ordinal), null);
        return sample;
    }
}
