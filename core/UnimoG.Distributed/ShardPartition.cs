namespace UnimoG.Distributed;

/// <summary>
/// Contiguous, nearly equal ranges of <c>total</c> elements for <c>parts</c> ranks: rank r owns
/// [r * total / parts, (r + 1) * total / parts). ZeRO-1 shards the flattened parameters this way, so a shard is a
/// function of (total, ranks) alone and a checkpoint made with N ranks re-splits for M.
/// </summary>
public static class ShardPartition
{
    public static (long Start, long Count) Of(long total, int parts, int rank)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        if (rank < 0 || rank >= parts) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {parts})");
        var start = (long)((Int128)total * rank / parts);
        var end = (long)((Int128)total * (rank + 1) / parts);
        return (start, end - start);
    }

    /// <summary>Every rank's count, in rank order.</summary>
    public static long[] Counts(long total, int parts) => [.. Enumerable.Range(0, parts).Select(r => Of(total, parts, r).Count)];
}
