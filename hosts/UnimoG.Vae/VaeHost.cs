using UnimoG.Engines.Inference;
using UnimoG.Engines.Telemetry;
using UnimoG.Hosting;
using UnimoG.Modeling.Pipelines;

namespace UnimoG.Vae;

/// <summary>Wiring of the VAE into a host (its own, or `unimog serve --role all`).</summary>
public static class VaeHost
{
    public static WebApplicationBuilder AddVae(this WebApplicationBuilder builder)
    {
        var model = ServingSetup.BindShared<ModelOptions>(builder, ModelOptions.Section);
        ServingSetup.AddModelRole<VaeOptions, VaeEngine>(builder, VaeOptions.Section, "vae model",
            (sp, o) => VaeEngine.Load(ModelFolder.Open(model.Path, model.UNetPath), o, model, sp.GetRequiredService<UnimoGMetrics>()),
            e => e.Folder.Untrained ? e.Folder.UntrainedWarning : null);
        return builder;
    }

    public static WebApplication MapVae(this WebApplication app)
    {
        app.MapGrpcService<VaeService>();
        return app;
    }
}
