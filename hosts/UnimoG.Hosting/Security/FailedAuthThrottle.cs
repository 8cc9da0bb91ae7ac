using UnimoG.Engines;
using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace UnimoG.Hosting.Security;

/// <summary>
/// Failed authentications per peer address in fixed one-minute windows (<c>Auth:MaxFailuresPerMinute</c>). Over the
/// limit the peer's calls are refused before authentication, ResourceExhausted with the time left in the window as the
/// retry hint, so a key cannot be guessed at wire speed. Counted by address, not port: a new connection is no reset.
/// </summary>
internal sealed class FailedAuthThrottle(IOptions<AuthOptions> options, TimeProvider? clock = null)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, (DateTimeOffset Start, int Count)> _peers = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public void Record(string peer)
    {
        var now = _clock.GetUtcNow();
        _peers.AddOrUpdate(peer, _ => (now, 1), (_, w) => now - w.Start >= Window ? (now, 1) : (w.Start, w.Count + 1));
        if (_peers.Count > 100_000) Sweep(now);   // bounded: stale windows go when many peers were seen
    }

    public void ThrowIfBlocked(string peer)
    {
        if (!_peers.TryGetValue(peer, out var w)) return;
        var left = w.Start + Window - _clock.GetUtcNow();
        if (left > TimeSpan.Zero && w.Count >= options.Value.MaxFailuresPerMinute)
            throw Faults.Exhausted($"Too many failed authentications from this address ({w.Count} in a minute; Auth:MaxFailuresPerMinute is {options.Value.MaxFailuresPerMinute}).", left);
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (peer, w) in _peers)
            if (now - w.Start >= Window) _peers.TryRemove(peer, out _);
    }
}
