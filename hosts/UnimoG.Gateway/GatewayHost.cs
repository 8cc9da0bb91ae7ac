using UnimoG.Hosting.Interceptors;
using UnimoG.Engines.Gateway;
using UnimoG.Client;
using UnimoG.Hosting.Discovery;
using UnimoG.Hosting.Options;
using UnimoG.Engines.Telemetry;
using UnimoG.Engines;
using Grpc.AspNetCore.Server;
using Microsoft.Extensions.Options;
using UnimoG.Studio;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Gateway;

/// <summary>Wiring of the gateway into a host (its own, or `unimog serve --role all`).</summary>
public static class GatewayHost
{
    /// <summary>
    /// The gateway's pipeline. Its stages are the gRPC clients of the services named <c>encoder</c>, <c>denoiser</c>
    /// and <c>vae</c> (<c>Services:&lt;name&gt;:Address</c> or Consul), unless the host registered
    /// <see cref="IEncoderClient"/>, <see cref="IDenoiserClient"/>, <see cref="IVaeClient"/> already (in-process roles).
    /// </summary>
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        var options = UnimoGOptions.Bind<GatewayOptions>(builder.Services, builder.Configuration, GatewayOptions.Section);
        builder.Services.AddUnimoGFaults();
        var s = builder.Services;
        var remote = new List<string>();   // backends reached over the network, whose health is the gateway's readiness
        if (!s.Any(d => d.ServiceType == typeof(IEncoderClient)))
        {
            remote.Add("encoder");
            builder.AddUnimoGServiceClient<V1.Encoder.EncoderClient>("encoder");
            s.AddSingleton<IEncoderClient>(sp => new EncoderClient(sp.GetRequiredService<V1.Encoder.EncoderClient>()));
        }
        if (!s.Any(d => d.ServiceType == typeof(IDenoiserClient)))
        {
            remote.Add("denoiser");
            builder.AddUnimoGServiceClient<V1.Denoiser.DenoiserClient>("denoiser");
            s.AddSingleton<IDenoiserClient>(sp => new DenoiserClient(sp.GetRequiredService<V1.Denoiser.DenoiserClient>()));
        }
        if (!s.Any(d => d.ServiceType == typeof(IVaeClient)))
        {
            remote.Add("vae");
            builder.AddUnimoGServiceClient<V1.Vae.VaeClient>("vae");
            s.AddSingleton<IVaeClient>(sp => new VaeClient(sp.GetRequiredService<V1.Vae.VaeClient>()));
        }
        s.AddSingleton(sp => new GenerationPipeline(sp.GetRequiredService<IEncoderClient>(), sp.GetRequiredService<IDenoiserClient>(),
            sp.GetRequiredService<IVaeClient>(), options, new ImageStore(options.UploadBytes),
            sp.GetRequiredService<ILogger<GenerationPipeline>>(), sp.GetRequiredService<UnimoGMetrics>()));
        // PutImage carries a whole image in one message (gRPC-Web cannot stream requests): the gateway's limit fits it.
        s.AddOptions<GrpcServiceOptions<GatewayService>>().Configure<IOptions<HostingOptions>>((o, hosting) =>
            o.MaxReceiveMessageSize = (int)Math.Min(int.MaxValue, Math.Max(hosting.Value.MaxReceiveMessageBytes, options.MaxImageBytes + MessageOverhead)));
        s.AddHostedService<GatewayReadiness>();
        if (remote.Count > 0)
            s.AddHostedService(sp => new DependencyReadiness(remote, sp.GetRequiredService<ServiceChannels>(), sp.GetRequiredService<UnimoG.Hosting.Readiness>(),
                sp.GetRequiredService<ILogger<DependencyReadiness>>()));
        return builder;
    }

    /// <summary>The Gateway service on the gRPC port, and with gRPC-Web on the studio's when the host added it.</summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        app.MapUnimoGStudio(app.MapGrpcService<GatewayService>());
        return app;
    }

    /// <summary>Room beside an image's bytes in one message (the field's tag and length).</summary>
    private const int MessageOverhead = 64 << 10;
}
