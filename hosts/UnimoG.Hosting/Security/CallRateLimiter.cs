using System.Threading.RateLimiting;
using Grpc.Core;
using Microsoft.Extensions.Options;
using UnimoG.Client;
using UnimoG.Engines;

namespace UnimoG.Hosting.Security;

/// <summary>
/// Per-caller token bucket and concurrency cap. A refused call gets <c>ResourceExhausted</c> with a retry hint
/// twice over: a <c>retry-after-ms</c> trailer and a google.rpc.RetryInfo in the rich status details.
/// </summary>
internal sealed class CallRateLimiter : IDisposable
{
    public const string RetryAfterTrailer = UnimoGException.RetryAfterTrailer;
    private readonly AuthOptions options;
    private readonly PartitionedRateLimiter<string> rate;
    private readonly PartitionedRateLimiter<string> concurrency;

    public CallRateLimiter(IOptions<AuthOptions> auth)
    {
        options = auth.Value;
        rate = PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetTokenBucketLimiter(caller, c =>
        {
            var l = LimitsOf(c);
            return new TokenBucketRateLimiterOptions
            {
                TokenLimit = l.Burst,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = TimeSpan.FromMinutes(1) / l.RequestsPerMinute,
                QueueLimit = 0,
                AutoReplenishment = true,
            };
        }));
        concurrency = PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetConcurrencyLimiter(caller, c =>
            new ConcurrencyLimiterOptions { PermitLimit = LimitsOf(c).MaxConcurrentCalls, QueueLimit = 0 }));
    }

    /// <summary>A lease to hold for the call's duration, or throws ResourceExhausted.</summary>
    public RateLimitLease Acquire(string caller)
    {
        var limits = LimitsOf(caller);
        using (var token = rate.AttemptAcquire(caller))
        {
            if (!token.IsAcquired)
            {
                var retry = token.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1) / limits.RequestsPerMinute;
                throw Faults.Exhausted($"Rate limit for {caller} reached ({limits.RequestsPerMinute}/min, burst {limits.Burst}).", retry);
            }
        }
        var slot = concurrency.AttemptAcquire(caller);
        if (!slot.IsAcquired)
        {
            slot.Dispose();
            throw Faults.Exhausted($"{caller} already has {limits.MaxConcurrentCalls} call(s) running, the most allowed.", limits.ConcurrencyRetryAfter);
        }
        return slot;
    }

    private CallLimits LimitsOf(string caller) =>
        caller.StartsWith("key:", StringComparison.Ordinal)
        && options.ApiKeys.TryGetValue(caller[4..], out var key) && key.Limits is { } own
            ? own
            : options.Limits;


    public void Dispose()
    {
        rate.Dispose();
        concurrency.Dispose();
    }
}
