using UnimoG.Hosting;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Engines.Inference;
using UnimoG.Encoder;
using UnimoG.Engines;
using UnimoG.Vae;

namespace UnimoG.Cli;

/// <summary>The four services as separate hosts on loopback (each its own Kestrel, HTTP/2), for benchmarks.</summary>
internal sealed class LoopbackCluster : IAsyncDisposable
{
    private readonly List<WebApplication> _apps;

    private LoopbackCluster(List<WebApplication> apps, string gateway)
    {
        _apps = apps;
        GatewayAddress = gateway;
    }

    public string GatewayAddress { get; }

    public static async Task<LoopbackCluster> StartAsync(string model, IDictionary<string, string?> settings)
    {
        string Url() => $"http://127.0.0.1:{FreePort()}";
        string e = Url(), d = Url(), v = Url(), g = Url();
        var apps = new List<WebApplication>
        {
            ServeCommand.Build("encoder", e, FreePort(), model, null, null, null, settings),
            ServeCommand.Build("denoiser", d, FreePort(), model, null, null, null, settings),
            ServeCommand.Build("vae", v, FreePort(), model, null, null, null, settings),
            // Benchmarks call gRPC only: no studio port to collide with the next free one.
            ServeCommand.Build("gateway", g, FreePort(), model, e, d, v, new Dictionary<string, string?>(settings) { ["Studio:Enabled"] = "false" }),
        };
        foreach (var app in apps) await app.StartAsync();
        await apps[0].Services.GetRequiredService<ModelSlot<EncoderEngine>>().Loaded;
        await apps[1].Services.GetRequiredService<ModelSlot<DenoiseBatcher>>().Loaded;
        await apps[2].Services.GetRequiredService<ModelSlot<VaeEngine>>().Loaded;
        return new LoopbackCluster(apps, g);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in Enumerable.Reverse(_apps))
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
