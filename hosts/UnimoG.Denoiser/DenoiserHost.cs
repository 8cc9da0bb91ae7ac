using UnimoG.Engines.Inference;
using UnimoG.Engines.Telemetry;
using UnimoG.Hosting;
using UnimoG.Modeling.Pipelines;

namespace UnimoG.Denoiser;

/// <summary>Wiring of the denoiser into a host (its own, or `unimog serve --role all`).</summary>
public static class DenoiserHost
{
    public static WebApplicationBuilder AddDenoiser(this WebApplicationBuilder builder)
    {
        var model = ServingSetup.BindShared<ModelOptions>(builder, ModelOptions.Section);
        ServingSetup.AddModelRole<DenoiserOptions, DenoiseBatcher>(builder, DenoiserOptions.Section, "denoiser model",
            (sp, o) => new DenoiseBatcher(DenoiserModel.Load(ModelFolder.Open(model.Path, model.UNetPath), model, model.PlacementFor(o.Placement)), o,
                sp.GetRequiredService<UnimoGMetrics>(), sp.GetRequiredService<ILogger<DenoiseBatcher>>()),
            e => e.Model.Folder.Untrained ? e.Model.Folder.UntrainedWarning : null);
        return builder;
    }

    public static WebApplication MapDenoiser(this WebApplication app)
    {
        app.MapGrpcService<DenoiserService>();
        return app;
    }
}
