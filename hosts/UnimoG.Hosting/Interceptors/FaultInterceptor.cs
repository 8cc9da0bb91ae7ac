using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Engines;

namespace UnimoG.Hosting.Interceptors;

/// <summary>Registration of the fault interceptor.</summary>
public static class FaultSetup
{
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
        catch (Exception e) when (Faults.ToRpc(e, CallOutcome.DeadlinePassed(context)) is { } rpc && !ReferenceEquals(rpc, e))
        {
            throw rpc;
        }
    }
}
