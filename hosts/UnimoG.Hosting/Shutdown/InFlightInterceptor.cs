using Grpc.Core;
using Microsoft.Extensions.Options;
using UnimoG.Hosting.Interceptors;
using UnimoG.Hosting.Options;
using UnimoG.Engines.Telemetry;

namespace UnimoG.Hosting.Shutdown;

/// <summary>
/// Tracks every work call (not health/reflection) for graceful shutdown and the active-requests gauge;
/// refuses new calls with <c>Unavailable</c> once shutdown has begun; gives each call a token that is also
/// cancelled when shutdown runs out of time.
/// </summary>
internal sealed class InFlightInterceptor(InFlightCalls calls, UnimoGMetrics metrics, IOptions<ShutdownOptions> options)
    : ServerCallInterceptor
{
    internal const string CallTokenKey = "unimog.call-token";

    protected override async Task<T> AroundAsync<T>(ServerCallContext context, Func<Task<T>> next)
    {
        if (IsInfrastructure(context.Method)) return await next();
        if (!calls.TryEnter())
            throw new RpcException(new Status(StatusCode.Unavailable,
                "The service is shutting down and takes no new calls; retry on another replica."));
        var method = new KeyValuePair<string, object?>("grpc.method", context.Method);
        metrics.ActiveRequests.Add(1, method);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, calls.ShutdownToken);
        context.UserState[CallTokenKey] = linked.Token;
        try
        {
            return await next();
        }
        // The call gave up because shutdown cancelled its token, not because the caller left. Inner interceptors may
        // have mapped the cancellation to a Cancelled status already (the services' fault mapping does).
        catch (Exception e) when (e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled }
                                  && calls.ShutdownToken.IsCancellationRequested
                                  && !context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable,
                $"The service shut down before the call finished (Shutdown:Timeout is {options.Value.Timeout}); retry on another replica."));
        }
        finally
        {
            metrics.ActiveRequests.Add(-1, method);
            calls.Exit();
        }
    }
}

public static class CallContextExtensions
{
    /// <summary>
    /// The token a service method should honour: cancelled when the caller cancels, the deadline passes, or
    /// graceful shutdown runs out of time. Use it instead of <c>context.CancellationToken</c>.
    /// </summary>
    public static CancellationToken CallToken(this ServerCallContext context) =>
        context.UserState.TryGetValue(InFlightInterceptor.CallTokenKey, out var token) && token is CancellationToken t
            ? t
            : context.CancellationToken;
}
