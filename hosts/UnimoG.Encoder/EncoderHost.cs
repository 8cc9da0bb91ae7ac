using UnimoG.Hosting.Interceptors;
using UnimoG.Engines.Inference;
using UnimoG.Hosting;
using UnimoG.Hosting.Options;
using UnimoG.Data.Config;
using UnimoG.Engines.Telemetry;
using UnimoG.Modeling.Pipelines;
using UnimoG.Engines;

namespace UnimoG.Encoder;

/// <summary>Wiring of the encoder into a host (its own, or `unimog serve --role all`).</summary>
public static class EncoderHost
{
    public static WebApplicationBuilder AddEncoder(this WebApplicationBuilder builder)
    {
        var model = ServingSetup.BindShared<ModelOptions>(builder, ModelOptions.Section);
        var options = UnimoGOptions.Bind<EncoderOptions>(builder.Services, builder.Configuration, EncoderOptions.Section);
        builder.Services.AddUnimoGFaults();
        ServingSetup.AddModelSlot(builder.Services, "encoder model",
            sp => EncoderEngine.Load(ModelFolder.Open(model.Path), options, model, sp.GetRequiredService<UnimoGMetrics>()),
            e => e.Folder.Untrained ? e.Folder.UntrainedWarning : null);
        return builder;
    }

    public static WebApplication MapEncoder(this WebApplication app)
    {
        app.MapGrpcService<EncoderService>();
        return app;
    }
}
