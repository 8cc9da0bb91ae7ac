using UnimoG.Hosting;
using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using UnimoG.Studio;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Cli;
using UnimoG.Client;
using UnimoG.Engines.Inference;
using UnimoG.Encoder;
using UnimoG.Engines;
using UnimoG.Vae;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Services.Tests.Support;

/// <summary>
/// The four services as separate hosts on loopback (real Kestrel, HTTP/2, each with its own port and model load),
/// composed exactly as `unimog serve --role X` composes them; the gateway reaches the others through
/// Services:*:Address.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    private readonly List<GrpcChannel> _channels = [];

    public required WebApplication Encoder { get; init; }
    public required WebApplication Denoiser { get; init; }
    public required WebApplication Vae { get; init; }
    public required WebApplication Gateway { get; init; }
    public required string GatewayAddress { get; init; }
    public required string DenoiserAddress { get; init; }
    public required string EncoderAddress { get; init; }
    public required string VaeAddress { get; init; }

    /// <summary>The gateway's studio endpoint (HTTP/1.1: the page and gRPC-Web), e.g. http://127.0.0.1:41234/.</summary>
    public string StudioAddress => Gateway.Services.GetRequiredService<StudioEndpoint>().Url;

    public DenoiseBatcher Batcher => Denoiser.Services.GetRequiredService<ModelSlot<DenoiseBatcher>>().Value;

    /// <param name="commonSettings">Settings for all four hosts (after the defaults here, before the per-role ones).</param>
    /// <param name="configure">Called with each role and its builder before it is built (e.g. to add a trace exporter).</param>
    public static async Task<Cluster> StartAsync(IDictionary<string, string?>? denoiserSettings = null, IDictionary<string, string?>? gatewaySettings = null,
        IDictionary<string, string?>? commonSettings = null, Action<string, WebApplicationBuilder>? configure = null)
    {
        var common = new Dictionary<string, string?>
        {
            ["Model:TokenizerPath"] = TestModel.Tokenizer,
            ["Log:MinimumLevel"] = "Warning",
            ["Shutdown:Timeout"] = "00:00:05",
            ["Shutdown:CancelGrace"] = "00:00:02",
        };
        foreach (var (k, v) in commonSettings ?? new Dictionary<string, string?>()) common[k] = v;
        Dictionary<string, string?> With(IDictionary<string, string?>? extra) =>
            common.Concat(extra ?? new Dictionary<string, string?>()).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        string Url() => $"http://127.0.0.1:{FreePort()}";
        string encoderUrl = Url(), denoiserUrl = Url(), vaeUrl = Url(), gatewayUrl = Url();
        var model = TestModel.Folder;
        Action<WebApplicationBuilder>? For(string role) => configure is null ? null : b => configure(role, b);
        var encoder = ServeCommand.Build("encoder", encoderUrl, FreePort(), model, null, null, null, With(null), For("encoder"));
        var denoiser = ServeCommand.Build("denoiser", denoiserUrl, FreePort(), model, null, null, null, With(denoiserSettings), For("denoiser"));
        var vae = ServeCommand.Build("vae", vaeUrl, FreePort(), model, null, null, null, With(null), For("vae"));
        // The studio on any free port (not the gRPC port + 1, which another host here may hold).
        var gatewayDefaults = new Dictionary<string, string?> { ["Studio:Url"] = "http://127.0.0.1:0" };
        foreach (var (k, v) in gatewaySettings ?? new Dictionary<string, string?>()) gatewayDefaults[k] = v;
        var gateway = ServeCommand.Build("gateway", gatewayUrl, FreePort(), model, encoderUrl, denoiserUrl, vaeUrl, With(gatewayDefaults), For("gateway"));
        foreach (var app in new[] { encoder, denoiser, vae, gateway }) await app.StartAsync();
        await encoder.Services.GetRequiredService<ModelSlot<EncoderEngine>>().Loaded;
        await denoiser.Services.GetRequiredService<ModelSlot<DenoiseBatcher>>().Loaded;
        await vae.Services.GetRequiredService<ModelSlot<VaeEngine>>().Loaded;
        var ready = gateway.Services.GetRequiredService<UnimoG.Hosting.Readiness>();
        await GenerationTests.WaitUntil(() => ready.IsReady);   // the gateway has asked the denoiser for its model
        return new Cluster { Encoder = encoder, Denoiser = denoiser, Vae = vae, Gateway = gateway, GatewayAddress = gatewayUrl, DenoiserAddress = denoiserUrl,
            EncoderAddress = encoderUrl, VaeAddress = vaeUrl };
    }

    public GrpcChannel Channel(string address)
    {
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 });
        _channels.Add(channel);
        return channel;
    }

    public UnimoGClient Client() => new(new V1.Gateway.GatewayClient(Channel(GatewayAddress)));

    /// <summary>A gRPC-Web channel over HTTP/1.1, as the browser page calls the gateway (default: the studio's endpoint).</summary>
    public GrpcChannel WebChannel(string? address = null)
    {
        var channel = GrpcChannel.ForAddress(address ?? StudioAddress, new GrpcChannelOptions
        {
            HttpHandler = new GrpcWebHandler(GrpcWebMode.GrpcWeb, new HttpClientHandler()), MaxReceiveMessageSize = 64 << 20,
            HttpVersion = HttpVersion.Version11, HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });
        _channels.Add(channel);
        return channel;
    }

    public DenoiserClient DenoiserClient() => new(new V1.Denoiser.DenoiserClient(Channel(DenoiserAddress)));

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The host's gRPC port.</summary>
    public static int Port(string address) => new Uri(address).Port;

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _channels) c.Dispose();
        foreach (var app in new[] { Gateway, Vae, Denoiser, Encoder })
        {
            await app.StopAsync(); // a host a test stopped already returns at once
            await app.DisposeAsync();
        }
    }
}

/// <summary>One cluster for the tests that share it (started once, stopped after the last test).</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public Cluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await Cluster.StartAsync(
        new Dictionary<string, string?> { ["Denoiser:BatchWait"] = "00:00:00.200", ["Denoiser:MaxBatchImages"] = "8" },
        new Dictionary<string, string?> { ["Generation:MaxImageBytes"] = "200000" });

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition("cluster")]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>;
