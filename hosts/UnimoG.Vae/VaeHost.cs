using UnimoG.Hosting.Interceptors;
using UnimoG.Engines.Inference;
using UnimoG.Hosting;
using UnimoG.Hosting.Options;
using UnimoG.Data.Config;
using UnimoG.Engines.Telemetry;
using UnimoG.Modeling.Pipelines;
using UnimoG.Engines;

namespace UnimoG.Vae;

/// <summary>Wiring of the VAE into a host (its own, or `unimog serve --role all`).</summary>
public static class VaeHost
{
    public static WebApplicationBuilder AddVae(this WebApplicationBuilder builder)
    {
        var model = ServingSetup.BindShared<ModelOptions>(builder, ModelOptions.Section);
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
