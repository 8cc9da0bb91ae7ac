using System.Runtime.CompilerServices;
using Grpc.Core;
using UnimoG.Contracts.V1;

namespace UnimoG.Client;

public sealed partial class UnimoGClient
{
    /// <summary>
    /// The generation's events as they happen. Stop enumerating (or cancel) to cancel the generation. Unavailable
    /// before the first event is retried on the next replica (see <see cref="RetryOptions"/>); once an event has
    /// arrived a failure is surfaced as it is, since trying again would run the generation twice.
    /// </summary>
    public async IAsyncEnumerable<GenerationEvent> GenerateAsync(GenerateRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken = default, DateTime? deadline = null)
    {
        var replica = Volatile.Read(ref _preferred);
        for (int attempt = 1; ; attempt++)
        {
            using var call = _replicas[replica].Generate(request, deadline: deadline, cancellationToken: cancellationToken);
            await using var events = Streams.ReadAll(call.ResponseStream, cancellationToken).GetAsyncEnumerator(cancellationToken);
            UnimoGException? unavailable = null;
            bool any = false;
            try
            {
                any = await events.MoveNextAsync().ConfigureAwait(false);
            }
            catch (UnimoGException e) when (e.Status == StatusCode.Unavailable)
            {
                unavailable = e;
            }
            if (unavailable is null)
            {
                if (!any) yield break;
                Volatile.Write(ref _preferred, replica);
                yield return GenerationEvent.From(events.Current);
                while (await Started(events, replica, attempt).ConfigureAwait(false))
                    yield return GenerationEvent.From(events.Current);
                yield break;
            }
            replica = await BeforeRetry(attempt, replica, unavailable, deadline, cancellationToken).ConfigureAwait(false);
        }
    }

    // After the first event: Unavailable is not retried, and says so.
    private static async Task<bool> Started(IAsyncEnumerator<GenerateEvent> events, int replica, int attempt)
    {
        try
        {
            return await events.MoveNextAsync().ConfigureAwait(false);
        }
        catch (UnimoGException e) when (e.Status == StatusCode.Unavailable)
        {
            throw new UnimoGException(e.Status, $"{e.Detail} (replica {replica} failed after the generation had started, on attempt {attempt}; " +
                "not retried, since it would run again)", e);
        }
    }

    /// <summary>Reports the failure and waits the backoff; throws when no attempt is left or the deadline would pass first.</summary>
    private async Task<int> BeforeRetry(int attempt, int replica, UnimoGException failure, DateTime? deadline, CancellationToken ct)
    {
        if (attempt >= _retry.MaxAttempts)
            throw new UnimoGException(failure.Status, $"{failure.Detail} (after {attempt} attempt{(attempt == 1 ? "" : "s")} on {_replicas.Length} " +
                $"replica{(_replicas.Length == 1 ? "" : "s")})", failure);
        var delay = _retry.Delay(attempt, Random.Shared);
        if (deadline is { } d && DateTime.UtcNow + delay >= d.ToUniversalTime())
            throw new UnimoGException(StatusCode.DeadlineExceeded, $"the deadline leaves no time for attempt {attempt + 1}; " +
                $"attempt {attempt} failed: {failure.Status}: {failure.Detail}", failure);
        var next = (replica + 1) % _replicas.Length;
        _retry.OnRetry?.Invoke(new RetryAttempt(attempt, replica, next, failure.Status, failure.Detail, delay));
        try
        {
            await Task.Delay(delay, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            throw new UnimoGException(StatusCode.Cancelled, $"cancelled while waiting to retry (attempt {attempt} failed: {failure.Detail})", e);
        }
        return next;
    }
}
