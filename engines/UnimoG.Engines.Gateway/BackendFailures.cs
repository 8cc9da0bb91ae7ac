using Grpc.Core;
using Microsoft.Extensions.Logging;
using UnimoG.Client;

namespace UnimoG.Engines.Gateway;

/// <summary>Which backend a generation is waiting on, so that its failure can be told by name.</summary>
internal sealed class Stage
{
    public string? Service { get; set; }
}

/// <summary>
/// What a client is told when a backend fails: the service and the request id, never its addresses or exception
/// chains (those go to the gateway's log, under the same request id). Statuses a backend gives on purpose, with
/// messages written for the caller (InvalidArgument, ResourceExhausted, DeadlineExceeded...), pass unchanged.
/// </summary>
internal static class BackendFailures
{
    public static Exception? Name(string? service, string requestId, Exception e, ILogger log)
    {
        if (service is null || e is OperationCanceledException)
            return null;
        var rpc = Faults.ToRpc(e);
        var status = rpc?.StatusCode;
        if (status is not (null or StatusCode.Unavailable or StatusCode.Unknown or StatusCode.Internal or StatusCode.DataLoss or StatusCode.Unimplemented))
            return null;
        log.LogError(e, "request {RequestId}: the {Service} failed ({Status})", requestId, service, status?.ToString() ?? e.GetType().Name);
        if (status != StatusCode.Unavailable)
            return new UnimoGException(StatusCode.Internal, $"the {service} failed (request {requestId}). The gateway's log has the details.");
        // Unavailable sent by the service itself (draining, shut down) explains itself; the transport's names addresses.
        var wire = e as RpcException ?? e.InnerException as RpcException;
        var told = wire?.Status.DebugException is not null || rpc is null
            ? "; try again later. The gateway's log has the details."
            : $": {rpc.Status.Detail}";
        return new UnimoGException(StatusCode.Unavailable, $"the {service} is unavailable (request {requestId}){told}");
    }
}
