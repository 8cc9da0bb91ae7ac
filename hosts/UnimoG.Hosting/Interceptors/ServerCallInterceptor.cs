using Grpc.Core;
using Grpc.Core.Interceptors;

namespace UnimoG.Hosting.Interceptors;

/// <summary>
/// A server interceptor written once for all four call shapes: subclasses implement <see cref="AroundAsync{T}"/>,
/// which wraps the rest of the pipeline (later interceptors and the service method).
/// </summary>
public abstract class ServerCallInterceptor : Interceptor
{
    protected abstract Task<T> AroundAsync<T>(ServerCallContext context, Func<Task<T>> next);

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
        => AroundAsync(context, () => continuation(request, context));

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context,
        ClientStreamingServerMethod<TRequest, TResponse> continuation)
        => AroundAsync(context, () => continuation(requestStream, context));

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
        => AroundAsync(context, async () =>
        {
            await continuation(request, responseStream, context);
            return true;
        });

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
        => AroundAsync(context, async () =>
        {
            await continuation(requestStream, responseStream, context);
            return true;
        });

    /// <summary>Health and reflection calls: never counted as work, refused on drain, or authenticated.</summary>
    public static bool IsInfrastructure(string method) =>
        method.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal)
        || method.StartsWith("/grpc.reflection.", StringComparison.Ordinal);
}

/// <summary>The status a call ended with, whether the service threw, set <c>context.Status</c>, or was cancelled.</summary>
public static class CallOutcome
{
    /// <summary>
    /// How close to its deadline a cancelled call counts as having run out of time. The client's deadline timer fires
    /// first (the server starts its clock only when it reads the headers), so its reset usually arrives a few
    /// milliseconds before the server's own deadline; a cancellation that close to the deadline is the deadline.
    /// </summary>
    public static readonly TimeSpan DeadlineSlack = TimeSpan.FromSeconds(1);

    /// <summary>Whether the call has a deadline and it has passed, or is within <see cref="DeadlineSlack"/>.</summary>
    public static bool DeadlinePassed(ServerCallContext context) =>
        context.Deadline != DateTime.MaxValue && context.Deadline - DateTime.UtcNow <= DeadlineSlack;

    public static StatusCode Of(ServerCallContext context, Exception? error)
    {
        var status = error switch
        {
            null => context.Status.StatusCode,
            RpcException rpc => rpc.StatusCode,
            OperationCanceledException when context.CancellationToken.IsCancellationRequested || DeadlinePassed(context) => StatusCode.Cancelled,
            _ => StatusCode.Unknown,
        };
        // A backend call cut short by this call's cancellation reports Cancelled too; the deadline decides which it was.
        return status == StatusCode.Cancelled && DeadlinePassed(context) ? StatusCode.DeadlineExceeded : status;
    }
}
