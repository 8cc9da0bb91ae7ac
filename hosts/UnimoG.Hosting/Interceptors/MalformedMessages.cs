using System.Reflection;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace UnimoG.Hosting.Interceptors;

/// <summary>
/// Makes an undecodable request message INVALID_ARGUMENT instead of UNKNOWN "Exception was thrown by handler.".
/// grpc-dotnet deserialises a unary or server-streaming request before any interceptor runs, so no interceptor can
/// see the failure; instead every service is bound (as grpc-dotnet's own binder does, from the generated
/// <c>BindService</c>) with request marshallers that turn a parse failure into an <see cref="RpcException"/>, which
/// grpc-dotnet reports with its status. Streamed requests get the same, from the stream reader.
/// </summary>
internal sealed class MalformedMessageMethodProvider<TService> : IServiceMethodProvider<TService> where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        var bind = typeof(TService).GetCustomAttribute<BindServiceMethodAttribute>(inherit: true);
        if (bind is null)
            return;
        var serviceBase = BaseWith(typeof(TService), bind);
        var method = bind.BindType.GetMethod(bind.BindMethodName, BindingFlags.Public | BindingFlags.Static, [typeof(ServiceBinderBase), serviceBase])
            ?? throw new InvalidOperationException($"{bind.BindType} has no {bind.BindMethodName}(ServiceBinderBase, {serviceBase.Name}).");
        method.Invoke(null, [new Binder(context), null]);
    }

    private static Type BaseWith(Type type, BindServiceMethodAttribute bind)
    {
        for (var t = type; t is not null; t = t.BaseType)
            if (t.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is { } own && own.BindType == bind.BindType)
                return t;
        return type;
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            context.AddUnaryMethod(Guard(method), Metadata(method.Name, out var m, typeof(TRequest), typeof(ServerCallContext)),
                m.CreateDelegate<UnaryServerMethod<TService, TRequest, TResponse>>());

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddServerStreamingMethod(Guard(method),
                Metadata(method.Name, out var m, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)),
                m.CreateDelegate<ServerStreamingServerMethod<TService, TRequest, TResponse>>());

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddClientStreamingMethod(Guard(method),
                Metadata(method.Name, out var m, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)),
                m.CreateDelegate<ClientStreamingServerMethod<TService, TRequest, TResponse>>());

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddDuplexStreamingMethod(Guard(method),
                Metadata(method.Name, out var m, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)),
                m.CreateDelegate<DuplexStreamingServerMethod<TService, TRequest, TResponse>>());

        /// <summary>The service's and the method's attributes ([Authorize], [AllowAnonymous]...), as grpc-dotnet collects them.</summary>
        private static List<object> Metadata(string name, out MethodInfo method, params Type[] parameters)
        {
            method = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters)
                ?? throw new InvalidOperationException($"{typeof(TService).Name} has no method {name}.");
            return [.. typeof(TService).GetCustomAttributes(inherit: true), .. method.GetCustomAttributes(inherit: true)];
        }
    }

    private static Method<TRequest, TResponse> Guard<TRequest, TResponse>(Method<TRequest, TResponse> method) =>
        new(method.Type, method.ServiceName, method.Name, Guard(method.RequestMarshaller, method.ServiceName, method.Name), method.ResponseMarshaller);

    private static Marshaller<T> Guard<T>(Marshaller<T> inner, string service, string method) => new(inner.ContextualSerializer, c =>
    {
        try
        {
            return inner.ContextualDeserializer(c);
        }
        catch (InvalidProtocolBufferException e)   // also what invalid UTF-8 in a string field throws
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"The request to {service}/{method} is not a valid {typeof(T).Name} message: {e.Message}"));
        }
    });
}

internal static class MalformedMessages
{
    /// <summary>Replaces grpc-dotnet's default service binder (call after <c>AddGrpc</c>).</summary>
    public static void AddGuardedBinding(IServiceCollection services)
    {
        var defaults = services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>)
            && d.ImplementationType?.Name == "BinderServiceMethodProvider`1").ToList();
        if (defaults.Count == 0)
            throw new InvalidOperationException("grpc-dotnet's BinderServiceMethodProvider was not found: AddGrpc must run first.");
        foreach (var d in defaults)
            services.Remove(d);
        services.AddSingleton(typeof(IServiceMethodProvider<>), typeof(MalformedMessageMethodProvider<>));
    }
}
