using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using UnimoG.Hosting.Options;
using UnimoG.Hosting.Shutdown;

namespace UnimoG.Hosting.Discovery;

public static class DiscoverySetup
{
    /// <summary>
    /// Resolvers (consul, static list, dns re-resolved every 30 s) and, for a service host with <c>Consul:Address</c>,
    /// registration in Consul. Called by AddUnimoGDefaults; call it yourself in a client-only host.
    /// </summary>
    public static IHostApplicationBuilder AddUnimoGDiscovery(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(ServiceChannels))) return builder;
        var consul = UnimoGOptions.Bind<ConsulOptions>(services, builder.Configuration, ConsulOptions.Section);
        if (!services.HasDefaults())
        {
            // A client-only host: message limits and TLS for outgoing calls come from the same sections.
            UnimoGOptions.Bind<HostingOptions>(services, builder.Configuration, HostingOptions.Section);
            UnimoGOptions.Bind<TlsOptions>(services, builder.Configuration, TlsOptions.Section);
        }
        services.AddSingleton<ServiceChannels>();
        services.AddSingleton<ResolverFactory, StaticListResolverFactory>();
        services.AddSingleton<ResolverFactory>(new DnsResolverFactory(TimeSpan.FromSeconds(30)));
        if (consul.Enabled)
        {
            services.AddSingleton(sp => new ConsulClient(sp.GetRequiredService<IOptions<ConsulOptions>>().Value));
            services.AddSingleton<ResolverFactory, ConsulResolverFactory>();
            if (consul.Register && services.Any(d => d.ServiceType == typeof(UnimoGService)))
            {
                services.AddSingleton<ConsulServiceRegistration>();
                services.AddHostedService(sp => sp.GetRequiredService<ConsulServiceRegistration>());
                services.AddSingleton<IDrainParticipant>(sp => sp.GetRequiredService<ConsulServiceRegistration>());
            }
        }
        return builder;
    }

    /// <summary>
    /// Registers a typed gRPC client for the named service (<c>b.AddUnimoGServiceClient&lt;Encoder.EncoderClient&gt;("encoder")</c>);
    /// where it connects is chosen by configuration (see <see cref="ServiceChannels"/>) and checked here.
    /// </summary>
    public static IHostApplicationBuilder AddUnimoGServiceClient<TClient>(this IHostApplicationBuilder builder, string service)
        where TClient : ClientBase<TClient>
    {
        builder.AddUnimoGDiscovery();
        var consul = UnimoGOptions.Read<ConsulOptions>(builder.Configuration, ConsulOptions.Section);
        ServiceChannels.AddressOf(service, builder.Configuration, consul.Enabled); // fails now, naming the key
        static TClient Create(IServiceProvider sp, string service) =>
            (TClient)Activator.CreateInstance(typeof(TClient), sp.GetRequiredService<ServiceChannels>().Invoker(service))!;
        builder.Services.AddSingleton(sp => Create(sp, service));
        // Also keyed by service name, for a host that talks to two services through the same client type.
        builder.Services.AddKeyedSingleton<TClient>(service, (sp, _) => Create(sp, service));
        return builder;
    }
}
