using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using UnimoG.Client;
using UnimoG.Contracts.Tensors;
using UnimoG.Data.Config;
using UnimoG.Text.Prompts;

namespace UnimoG.Engines;

/// <summary>Bad input naming its field: InvalidArgument "field: message".</summary>
public sealed class InvalidFieldException(string field, string message) : Exception($"{ImageNumbers.Named(field)}: {message}")
{
    public string Field { get; } = field;
}

/// <summary>A bounded queue or budget is full: ResourceExhausted, with a retry hint when one is given.</summary>
public sealed class QueueFullException(string message, TimeSpan? retryAfter = null) : Exception(message)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// One mapping from what the model code throws to gRPC statuses, shared by the gRPC services and the
/// in-process adapters (so one-process mode fails exactly as the network does).
/// </summary>
public static class Faults
{
    public static RpcException? ToRpc(Exception e, bool deadlinePassed = false) => e switch
    {
        // A call past its deadline was cancelled for that reason, however far down (a backend, an adapter) it was seen.
        RpcException { StatusCode: StatusCode.Cancelled } or UnimoGException { Status: StatusCode.Cancelled } or OperationCanceledException
            when deadlinePassed => Rpc(StatusCode.DeadlineExceeded, "the call's deadline passed"),
        RpcException r => r.Status.Detail.Length <= Echo.MaxMessageChars ? r : Rpc(r.StatusCode, r.Status.Detail),
        // A service's refusal relayed (the gateway's encoder call) keeps its retry hint.
        UnimoGException { Status: StatusCode.ResourceExhausted, RetryAfter: { } after } u => Exhausted(u.Detail, after),
        UnimoGException u => u.ToRpcException(),
        InvalidFieldException f => Rpc(StatusCode.InvalidArgument, f.Message),
        PromptException p => Rpc(StatusCode.InvalidArgument, p.Message),
        TensorStreamException t => Rpc(StatusCode.InvalidArgument, t.Message),
        QueueFullException { RetryAfter: { } after } q => Exhausted(q.Message, after),
        QueueFullException q => Rpc(StatusCode.ResourceExhausted, q.Message),
        ModelFolderException m => Rpc(StatusCode.FailedPrecondition, m.Message),
        OperationCanceledException => Rpc(StatusCode.Cancelled, "the call was cancelled"),
        _ => null,
    };

    /// <summary>The same error as a client sees it over the network (in-process adapters throw this).</summary>
    public static Exception ForClient(Exception e) => ToRpc(e) is { } rpc ? UnimoGException.From(rpc) : e;

    /// <summary>
    /// ResourceExhausted with the retry hint twice over: the <c>retry-after-ms</c> trailer and a google.rpc.RetryInfo in
    /// the rich status details (<c>ex.GetRpcStatus().GetDetail&lt;RetryInfo&gt;()</c>). Every refusal that may be retried uses it.
    /// </summary>
    public static RpcException Exhausted(string message, TimeSpan retryAfter)
    {
        if (retryAfter <= TimeSpan.Zero) retryAfter = TimeSpan.FromMilliseconds(1);
        var status = new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = Echo.Message(message),
            Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }) },
        };
        var exception = status.ToRpcException();
        exception.Trailers.Add(UnimoGException.RetryAfterTrailer, Math.Ceiling(retryAfter.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        return exception;
    }

    private static RpcException Rpc(StatusCode status, string message) => new(new Grpc.Core.Status(status, Echo.Message(message)));
}
