namespace UnimoG.Engines.Inference;

/// <summary>
/// Fair sharing of one worker between batches of different sizes (start-time fair queuing over measured time): the
/// next turn goes to the size that has used the least worker time so far, so a 64x64 batch whose steps cost 1/64 of
/// a 512x512 batch's takes ~64 steps for each of the large one's. A size that (re)appears starts level with the
/// least-served active size, neither owed the past nor owing it. Not thread-safe: the batcher's worker owns it.
/// </summary>
internal sealed class FairShare<TKey> where TKey : notnull
{
    private readonly Dictionary<TKey, (double Used, long LastTurn)> _used = [];
    private long _turn;

    /// <summary>The size to step next among <paramref name="active"/> (false when none); forgets sizes no longer active.</summary>
    public bool TryNext(IReadOnlyCollection<TKey> active, out TKey next)
    {
        foreach (var gone in _used.Keys.Where(k => !active.Contains(k)).ToList())
            _used.Remove(gone);
        next = default!;
        if (active.Count == 0)
            return false;
        var floor = _used.Count == 0 ? 0 : _used.Values.Min(v => v.Used);
        foreach (var key in active)
            _used.TryAdd(key, (floor, -1));
        // On a tie (a newcomer is level with the least-served size) the one served longest ago goes first.
        next = _used.MinBy(kv => (kv.Value.Used, kv.Value.LastTurn)).Key;
        return true;
    }

    /// <summary>Charges <paramref name="key"/> for a turn of <paramref name="seconds"/>.</summary>
    public void Spent(TKey key, double seconds)
    {
        if (_used.TryGetValue(key, out var v)) _used[key] = (v.Used + seconds, _turn++);
    }
}
