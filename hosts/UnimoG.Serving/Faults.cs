using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Client;
using UnimoG.Contracts.Tensors;
using UnimoG.Hosting.Interceptors;
using UnimoG.Modeling.Pipelines;
using UnimoG.Modeling.Prompts;

namespace UnimoG.Serving;

/// <summary>Bad input naming its field: InvalidArgument "field: message".</summary>
public sealed class InvalidFieldException(string field, string message) : Exception($"{field}: {message}")
{
    public string Field { get; } = field;
}

/// <summary>A bounded queue is full: ResourceExhausted.</summary>
public sealed class QueueFullException(string message) : Exception(message);

/// <summary>
/// One mapping from what the model code throws to gRPC statuses, shared by the gRPC services and the
/// in-process adapters (so one-process mode fails exactly as the network does).
/// </summary>
public static class Faults
{
    public static RpcException? ToRpc(Exception e, bool deadlinePassed = false) => e switch
    {
        RpcException r => r,
        UnimoGException u => u.ToRpcException(),
        InvalidFieldException f => Rpc(StatusCode.InvalidArgument, f.Message),
        PromptException p => Rpc(StatusCode.InvalidArgument, p.Message),
        TensorStreamException t => Rpc(StatusCode.InvalidArgument, t.Message),
        QueueFullException q => Rpc(StatusCode.ResourceExhausted, q.Message),
        ModelFolderException m => Rpc(StatusCode.FailedPrecondition, m.Message),
        OperationCanceledException => deadlinePassed
            ? Rpc(StatusCode.DeadlineExceeded, "the call's deadline passed")
            : Rpc(StatusCode.Cancelled, "the call was cancelled"),
        _ => null,
    };

    /// <summary>The same error as a client sees it over the network (in-process adapters throw this).</summary>
    public static Exception ForClient(Exception e) => ToRpc(e) is { } rpc ? UnimoGException.From(rpc) : e;

    private static RpcException Rpc(StatusCode status, string message) => new(new Status(status, message));

    /// <summary>Registers the interceptor that maps these exceptions for every gRPC method of the host.</summary>
    public static IServiceCollection AddUnimoGFaults(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(FaultInterceptor))) return services;
        services.AddSingleton<FaultInterceptor>();
        services.Configure<GrpcServiceOptions>(o => o.Interceptors.Add<FaultInterceptor>());
        return services;
    }
}

/// <summary>Innermost interceptor: domain exceptions become statuses with their messages.</summary>
public sealed class FaultInterceptor : ServerCallInterceptor
{
    protected override async Task<T> AroundAsync<T>(ServerCallContext context, Func<Task<T>> next)
    {
        try
        {
            return await next();
        }
        catch (Exception e) when (e is not RpcException && Faults.ToRpc(e, context.Deadline <= DateTime.UtcNow) is { } rpc)
        {
            throw rpc;
        }
    }
}
