using Grpc.Net.ClientFactory;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;

namespace UnimoG.Client;

/// <summary>Where the UNIMO-G services are and how to call them.</summary>
public sealed class UnimoGClientOptions
{
    /// <summary>The gateway (for <see cref="UnimoGClient"/>), e.g. http://localhost:5000.</summary>
    public Uri? Address { get; set; }
    /// <summary>More gateway replicas, tried after <see cref="Address"/> when a generation fails Unavailable before it starts.</summary>
    public IList<Uri> GatewayReplicas { get; } = [];
    /// <summary>When and how <see cref="UnimoGClient"/> retries (validated at registration).</summary>
    public RetryOptions Retry { get; set; } = new();
    /// <summary>Backends, for services that call them directly (trainers, batch jobs); each registers its typed client.</summary>
    public Uri? EncoderAddress { get; set; }
    public Uri? DenoiserAddress { get; set; }
    public Uri? VaeAddress { get; set; }
    /// <summary>Sent as <c>x-api-key</c> on every call (the gateway's API keys).</summary>
    public string? ApiKey { get; set; }
    /// <summary>Bounds on tensors received.</summary>
    public TensorLimits TensorLimits { get; set; } = new();
}

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="UnimoGClient"/> (when <see cref="UnimoGClientOptions.Address"/> is set) and the typed
    /// backend clients <see cref="IEncoderClient"/>, <see cref="IDenoiserClient"/>, <see cref="IVaeClient"/> (for the
    /// addresses set), through the gRPC client factory: pooled HTTP/2 connections, calls disposed by the clients.
    /// </summary>
    public static IServiceCollection AddUnimoGClient(this IServiceCollection services, Action<UnimoGClientOptions> configure)
    {
        var options = new UnimoGClientOptions();
        configure(options);
        if (options.Address is null && options.EncoderAddress is null && options.DenoiserAddress is null && options.VaeAddress is null)
            throw new ArgumentException("AddUnimoGClient: set Address (the gateway) or at least one backend address");
        if (options.Address is null && options.GatewayReplicas.Count > 0)
            throw new ArgumentException("AddUnimoGClient: GatewayReplicas are tried after Address: set Address too");
        options.Retry.Validate();
        services.AddSingleton(options);
        if (options.Address is { } gateway)
        {
            // One named client (own channel, own connections) per further replica. Registered before the primary:
            // each registration maps the typed client to its own name, and the last one wins.
            var names = options.GatewayReplicas.Select((uri, i) => (Name: $"unimog-gateway-{i + 1}", Uri: uri)).ToList();
            foreach (var (name, uri) in names) Register<Gateway.GatewayClient>(services, uri, options, name);
            Register<Gateway.GatewayClient>(services, gateway, options);
            services.AddSingleton(sp =>
            {
                var factory = sp.GetRequiredService<GrpcClientFactory>();
                Gateway.GatewayClient[] replicas = [sp.GetRequiredService<Gateway.GatewayClient>(), .. names.Select(n => factory.CreateClient<Gateway.GatewayClient>(n.Name))];
                return new UnimoGClient(replicas, options.Retry);
            });
        }
        if (options.EncoderAddress is { } encoder)
        {
            Register<Encoder.EncoderClient>(services, encoder, options);
            services.AddSingleton(sp => new EncoderClient(sp.GetRequiredService<Encoder.EncoderClient>(), options.TensorLimits));
            services.AddSingleton<IEncoderClient>(sp => sp.GetRequiredService<EncoderClient>());
        }
        if (options.DenoiserAddress is { } denoiser)
        {
            Register<Denoiser.DenoiserClient>(services, denoiser, options);
            services.AddSingleton(sp => new DenoiserClient(sp.GetRequiredService<Denoiser.DenoiserClient>(), options.TensorLimits));
            services.AddSingleton<IDenoiserClient>(sp => sp.GetRequiredService<DenoiserClient>());
        }
        if (options.VaeAddress is { } vae)
        {
            Register<Vae.VaeClient>(services, vae, options);
            services.AddSingleton(sp => new VaeClient(sp.GetRequiredService<Vae.VaeClient>(), options.TensorLimits));
            services.AddSingleton<IVaeClient>(sp => sp.GetRequiredService<VaeClient>());
        }
        return services;
    }

    private static void Register<TClient>(IServiceCollection services, Uri address, UnimoGClientOptions options, string? name = null) where TClient : class
    {
        var builder = (name is null ? services.AddGrpcClient<TClient>(o => o.Address = address) : services.AddGrpcClient<TClient>(name, o => o.Address = address))
            .ConfigureChannel(o => o.MaxReceiveMessageSize = 16 << 20);
        if (options.ApiKey is { Length: > 0 } key)
        {
            builder.AddCallCredentials((_, metadata) =>
            {
                metadata.Add("x-api-key", key);
                return Task.CompletedTask;
            });
            // Plain-text loopback/dev gateways carry the key too (TLS is the deployment's business).
            builder.ConfigureChannel(o => o.UnsafeUseInsecureChannelCallCredentials = true);
        }
    }
}
