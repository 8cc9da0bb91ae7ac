using UnimoG.Hosting;
using UnimoG.Hosting.Options;
using UnimoG.Hosting.Telemetry;
using UnimoG.Modeling.Pipelines;
using UnimoG.Serving;

namespace UnimoG.Vae;

/// <summary>Wiring of the VAE into a host (its own, or `unimog serve --role all`).</summary>
public static class VaeHost
{
    public static WebApplicationBuilder AddVae(this WebApplicationBuilder builder)
    {
        var model = ServingSetup.BindModelOptions(builder);
        var options = UnimoGOptions.Bind<VaeOptions>(builder.Services, builder.Configuration, VaeOptions.Section);
        builder.Services.AddUnimoGFaults();
        ServingSetup.AddModelSlot(builder.Services, "vae model",
            sp => VaeEngine.Load(ModelFolder.Open(model.Path), options, model, sp.GetRequiredService<UnimoGMetrics>()),
            e => e.Folder.Untrained ? e.Folder.UntrainedWarning : null);
        return builder;
    }

    public static WebApplication MapVae(this WebApplication app)
    {
        app.MapGrpcService<VaeService>();
        return app;
    }
}
