using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using UnimoG.Hosting.Interceptors;

namespace UnimoG.Hosting.Logging;

/// <summary>The request id of the call being served, carried to outgoing calls by <see cref="RequestIdClientInterceptor"/>.</summary>
public static class RequestId
{
    public const string Header = "x-request-id";
    private static readonly AsyncLocal<string?> CurrentId = new();

    /// <summary>The id of the gRPC call this code runs for, or null outside a call.</summary>
    public static string? Current
    {
        get => CurrentId.Value;
        internal set => CurrentId.Value = value;
    }

    /// <summary>A caller's id is kept if it is short printable ASCII; anything else is replaced.</summary>
    internal static bool IsAcceptable(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 128 && id.All(c => c is > ' ' and <= '~');

    internal static string New() => Guid.NewGuid().ToString("N");
}

/// <summary>
/// Takes <c>x-request-id</c> from the call's metadata (or makes one), echoes it in the response headers, and
/// makes it <see cref="RequestId.Current"/> for the call: every event the call logs carries it (CallContextEnricher)
/// and outgoing calls forward it. Logs one line when the call ends.
/// </summary>
internal sealed class RequestIdInterceptor(ILogger<RequestIdInterceptor> log) : ServerCallInterceptor
{
    protected override async Task<T> AroundAsync<T>(ServerCallContext context, Func<Task<T>> next)
    {
        var id = context.RequestHeaders.GetValue(RequestId.Header);
        if (!RequestId.IsAcceptable(id)) id = RequestId.New();
        // An HTTP response header goes out with the gRPC response headers whenever they are sent,
        // so the service can still send its own headers later.
        context.GetHttpContext().Response.Headers[RequestId.Header] = id;
        RequestId.Current = id;
        Activity.Current?.SetTag("unimog.request_id", id);
        var started = Stopwatch.GetTimestamp();
        Exception? error = null;
        try
        {
            return await next();
        }
        catch (Exception e)
        {
            error = e;
            throw;
        }
        finally
        {
            LogEnd(context, error, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private void LogEnd(ServerCallContext context, Exception? error, double ms)
    {
        var status = CallOutcome.Of(context, error);
        if (ServerCallInterceptor.IsInfrastructure(context.Method) && status == StatusCode.OK)
            return; // health probes every few seconds would drown the log
        var level = status switch
        {
            StatusCode.OK => LogLevel.Information,
            StatusCode.Unknown or StatusCode.Internal or StatusCode.DataLoss => LogLevel.Error,
            _ => LogLevel.Warning,
        };
        var detail = error is RpcException rpc ? rpc.Status.Detail : error?.Message;
        log.Log(level, status == StatusCode.Unknown ? error : null,
            "{GrpcMethod} ended {GrpcStatus} in {ElapsedMs:0.0} ms {Detail}", context.Method, status, ms, detail ?? "");
    }
}

/// <summary>Client side: sends the current call's request id on every outgoing call.</summary>
public sealed class RequestIdClientInterceptor : Interceptor
{
    private static ClientInterceptorContext<TReq, TResp> WithId<TReq, TResp>(ClientInterceptorContext<TReq, TResp> context)
        where TReq : class where TResp : class
    {
        if (RequestId.Current is not { } id) return context;
        var headers = context.Options.Headers ?? new Metadata();
        if (headers.Get(RequestId.Header) is null) headers.Add(RequestId.Header, id);
        return new(context.Method, context.Host, context.Options.WithHeaders(headers));
    }

    public override TResp BlockingUnaryCall<TReq, TResp>(TReq request, ClientInterceptorContext<TReq, TResp> context,
        BlockingUnaryCallContinuation<TReq, TResp> continuation) => continuation(request, WithId(context));

    public override AsyncUnaryCall<TResp> AsyncUnaryCall<TReq, TResp>(TReq request, ClientInterceptorContext<TReq, TResp> context,
        AsyncUnaryCallContinuation<TReq, TResp> continuation) => continuation(request, WithId(context));

    public override AsyncServerStreamingCall<TResp> AsyncServerStreamingCall<TReq, TResp>(TReq request,
        ClientInterceptorContext<TReq, TResp> context, AsyncServerStreamingCallContinuation<TReq, TResp> continuation)
        => continuation(request, WithId(context));

    public override AsyncClientStreamingCall<TReq, TResp> AsyncClientStreamingCall<TReq, TResp>(
        ClientInterceptorContext<TReq, TResp> context, AsyncClientStreamingCallContinuation<TReq, TResp> continuation)
        => continuation(WithId(context));

    public override AsyncDuplexStreamingCall<TReq, TResp> AsyncDuplexStreamingCall<TReq, TResp>(
        ClientInterceptorContext<TReq, TResp> context, AsyncDuplexStreamingCallContinuation<TReq, TResp> continuation)
        => continuation(WithId(context));
}
