using UnimoG.Engines.Inference;
using UnimoG.Engines.Telemetry;
using UnimoG.Hosting;
using UnimoG.Modeling.Pipelines;

namespace UnimoG.Encoder;

/// <summary>Wiring of the encoder into a host (its own, or `unimog serve --role all`).</summary>
public static class EncoderHost
{
    public static WebApplicationBuilder AddEncoder(this WebApplicationBuilder builder)
    {
        var model = ServingSetup.BindShared<ModelOptions>(builder, ModelOptions.Section);
        ServingSetup.AddModelRole<EncoderOptions, EncoderEngine>(builder, EncoderOptions.Section, "encoder model",
            (sp, o) => EncoderEngine.Load(ModelFolder.Open(model.Path, model.UNetPath), o, model, sp.GetRequiredService<UnimoGMetrics>()),
            e => e.Folder.Untrained ? e.Folder.UntrainedWarning : null);
        return builder;
    }

    public static WebApplication MapEncoder(this WebApplication app)
    {
        app.MapGrpcService<EncoderService>();
        return app;
    }
}
