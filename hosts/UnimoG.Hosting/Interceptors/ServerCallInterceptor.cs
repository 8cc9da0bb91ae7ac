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
    public static StatusCode Of(ServerCallContext context, Exception? error) => error switch
    {
        null => context.Status.StatusCode,
        RpcException rpc => rpc.StatusCode,
        OperationCanceledException when context.Deadline <= DateTime.UtcNow => StatusCode.DeadlineExceeded,
        OperationCanceledException when context.CancellationToken.IsCancellationRequested => StatusCode.Cancelled,
        _ => StatusCode.Unknown,
    };
}
