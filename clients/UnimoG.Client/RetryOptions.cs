using Grpc.Core;

namespace UnimoG.Client;

/// <summary>One failed attempt that will be retried: what failed, on which replica, and the wait before the next one.</summary>
/// <param name="Attempt">The attempt that failed, 1-based.</param>
/// <param name="Replica">Index of the replica it ran on (in the order the client was given them).</param>
/// <param name="NextReplica">Index of the replica the next attempt goes to.</param>
public sealed record RetryAttempt(int Attempt, int Replica, int NextReplica, StatusCode Status, string Detail, TimeSpan Delay);

/// <summary>
/// When <see cref="UnimoGClient"/> tries a generation again: only on <see cref="StatusCode.Unavailable"/> before the
/// first event (nothing has run yet; a stream that has started is never repeated, it would do the work twice), on the
/// next replica, after an exponential backoff with jitter, and never past the caller's deadline or cancellation.
/// </summary>
public sealed class RetryOptions
{
    /// <summary>Attempts in all, the first included (default 3; 1 turns retrying off).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The wait before the first retry (default 100 ms); it doubles per retry, up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between attempts (default 2 s).</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Called before each wait, so a caller can log or count the retries.</summary>
    public Action<RetryAttempt>? OnRetry { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (MaxAttempts is < 1 or > 100)
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "must be between 1 and 100");
        if (BaseDelay <= TimeSpan.Zero || BaseDelay > TimeSpan.FromMinutes(1))
            throw new ArgumentOutOfRangeException(nameof(BaseDelay), BaseDelay, "must be positive and at most 1 minute");
        if (MaxDelay < BaseDelay || MaxDelay > TimeSpan.FromMinutes(5))
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "must be at least BaseDelay and at most 5 minutes");
    }

    /// <summary>
    /// The wait after failed attempt <paramref name="attempt"/>: BaseDelay * 2^(attempt-1), capped at MaxDelay, then a
    /// random point in its upper half ("equal jitter": clients that failed together do not retry together).
    /// </summary>
    public TimeSpan Delay(int attempt, Random random)
    {
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + random.NextDouble() * ceiling / 2);
    }
}
