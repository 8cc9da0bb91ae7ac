using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UnimoG.Hosting.Logging;
using UnimoG.Hosting.Options;
using UnimoG.Hosting.Security;

namespace UnimoG.Hosting.Discovery;

/// <summary>
/// One long-lived, load-balanced channel per named service. The address comes from
/// <c>Services:{Name}:Address</c> (http/https/static/dns/consul) or, when that is unset and <c>Consul:Address</c>
/// is, from <c>consul:///{name}</c>. Calls balance round-robin over the resolved replicas and carry the
/// current request id; a call refused with Unavailable (e.g. by a draining replica) is retried.
/// </summary>
public sealed class ServiceChannels(
    IServiceProvider services,
    IConfiguration configuration,
    IOptions<ConsulOptions> consul,
    IOptions<HostingOptions> hosting,
    IOptions<TlsOptions> tls,
    ILoggerFactory loggers) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<GrpcChannel>> channels = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The address <paramref name="service"/> resolves through, or throws naming the missing key.</summary>
    public static Uri AddressOf(string service, IConfiguration configuration, bool consulEnabled)
    {
        var key = $"{ServiceAddressOptions.Section}:{service}:Address";
        var configured = configuration[key];
        if (string.IsNullOrWhiteSpace(configured))
        {
            if (consulEnabled) return new Uri($"consul:///{service}");
            throw new OptionsValidationException(key, typeof(ServiceAddressOptions),
                [$"{key} is not set and neither is Consul:Address: there is no way to reach the '{service}' service."]);
        }
        if (!Uri.TryCreate(configured, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https" or "static" or "dns" or "consul"))
            throw new OptionsValidationException(key, typeof(ServiceAddressOptions),
                [$"{key} must be http://host:port, https://host:port, static:///h1:p1,h2:p2, dns:///name:port or consul:///name; got '{configured}'."]);
        if (uri.Scheme == "consul" && !consulEnabled)
            throw new OptionsValidationException(key, typeof(ServiceAddressOptions),
                [$"{key} is '{configured}' but Consul:Address is not set."]);
        return uri;
    }

    public GrpcChannel Channel(string service) =>
        channels.GetOrAdd(service, s => new Lazy<GrpcChannel>(() => Create(AddressOf(s, configuration, consul.Value.Enabled)))).Value;

    /// <summary>The channel with the client-side interceptors: request id propagation, and the service's key (<c>Services:{name}:ApiKey</c>).</summary>
    public CallInvoker Invoker(string service)
    {
        var invoker = Channel(service).Intercept(new RequestIdClientInterceptor());
        return configuration[$"{ServiceAddressOptions.Section}:{service}:ApiKey"] is { Length: > 0 } key
            ? invoker.Intercept(m =>
            {
                if (m.Get(ApiKeyAuthenticationHandler.Header) is null) m.Add(ApiKeyAuthenticationHandler.Header, key);
                return m;
            })
            : invoker;
    }

    /// <summary>A channel to an address given by a caller (e.g. a training configuration), with the same TLS, limits and retries.</summary>
    public CallInvoker Invoker(Uri address) =>
        channels.GetOrAdd("@" + address, _ => new Lazy<GrpcChannel>(() => Create(address))).Value.Intercept(new RequestIdClientInterceptor());

    private GrpcChannel Create(Uri address)
    {
        var useTls = tls.Value.Enabled || address.Scheme == "https";
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        if (tls.Value.Enabled) handler.SslOptions = new TlsCertificates(tls.Value).ClientOptions();
        var options = new GrpcChannelOptions
        {
            HttpHandler = handler,
            ServiceProvider = services,
            LoggerFactory = loggers,
            MaxReceiveMessageSize = hosting.Value.MaxReceiveMessageBytes,
            MaxSendMessageSize = hosting.Value.MaxSendMessageBytes,
            ServiceConfig = new ServiceConfig
            {
                LoadBalancingConfigs = { new RoundRobinConfig() },
                MethodConfigs =
                {
                    new MethodConfig
                    {
                        Names = { MethodName.Default },
                        RetryPolicy = new RetryPolicy
                        {
                            MaxAttempts = 3,
                            InitialBackoff = TimeSpan.FromMilliseconds(200),
                            MaxBackoff = TimeSpan.FromSeconds(2),
                            BackoffMultiplier = 2,
                            RetryableStatusCodes = { StatusCode.Unavailable },
                        },
                    },
                },
            },
        };
        // http/https carry their own credentials; resolver schemes need to be told.
        if (address.Scheme is not ("http" or "https"))
            options.Credentials = useTls ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure;
        return GrpcChannel.ForAddress(address, options);
    }

    public void Dispose()
    {
        foreach (var c in channels.Values.Where(c => c.IsValueCreated)) c.Value.Dispose();
    }
}

/// <summary><c>static:///host1:port1,host2:port2</c>: a fixed list of replicas.</summary>
internal sealed class StaticListResolverFactory : ResolverFactory
{
    public override string Name => "static";

    public override Resolver Create(ResolverOptions options) => new StaticResolverFactory(Parse).Create(options);

    private static IEnumerable<BalancerAddress> Parse(Uri uri) =>
        uri.AbsolutePath.Trim('/').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(hp =>
            {
                var colon = hp.LastIndexOf(':');
                if (colon <= 0 || !int.TryParse(hp[(colon + 1)..], out var port))
                    throw new InvalidOperationException($"'{hp}' in {uri} is not host:port.");
                return new BalancerAddress(hp[..colon], port);
            })
            .ToList();
}
