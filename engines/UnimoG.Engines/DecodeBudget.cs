namespace UnimoG.Engines;

/// <summary>
/// Bytes of image decoding in flight in this service (<c>Generation:ImageDecodeBytes</c>,
/// <c>Encoder:ImageDecodeBytes</c>): a request reserves what its images will cost (<see cref="RequestImages"/>,
/// from their headers) for as long as it decodes and preprocesses them. Refusal is immediate, never a wait: a
/// request that does not fit beside the others is ResourceExhausted with a retry hint, so concurrent requests
/// cannot add up to more memory than this, whatever their count.
/// </summary>
public sealed class DecodeBudget
{
    private readonly object _gate = new();
    private long _inFlight;

    /// <param name="key">The setting, named in refusals.</param>
    /// <param name="retryAfter">The hint a refusal carries (default 1 s: decoding takes well under that).</param>
    public DecodeBudget(long capacity, string key, TimeSpan? retryAfter = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        Key = key;
        RetryAfter = retryAfter ?? TimeSpan.FromSeconds(1);
    }

    public long Capacity { get; }
    public string Key { get; }
    public TimeSpan RetryAfter { get; }

    /// <summary>Bytes reserved now.</summary>
    public long InFlight
    {
        get { lock (_gate) return _inFlight; }
    }

    /// <summary>
    /// Reserves <paramref name="bytes"/> until the lease is disposed (twice is harmless), or throws
    /// <see cref="QueueFullException"/> (ResourceExhausted, with <see cref="RetryAfter"/>) when they are not free.
    /// </summary>
    public IDisposable Acquire(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes > Capacity)
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, $"more than the whole budget ({Capacity:N0}); refuse such a request as invalid");
        lock (_gate)
        {
            if (_inFlight + bytes > Capacity)
                throw new QueueFullException($"image decoding is at its budget: this request needs {bytes:N0} bytes, {_inFlight:N0} of the " +
                                             $"{Capacity:N0} of {Key} are in use by other requests; retry later", RetryAfter);
            _inFlight += bytes;
        }
        return new Lease(this, bytes);
    }

    private void Release(long bytes)
    {
        lock (_gate) _inFlight -= bytes;
    }

    private sealed class Lease(DecodeBudget budget, long bytes) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) budget.Release(bytes);
        }
    }
}
