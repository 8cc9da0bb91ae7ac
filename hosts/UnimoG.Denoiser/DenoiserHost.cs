using UnimoG.Hosting.Interceptors;
using UnimoG.Engines.Inference;
using UnimoG.Hosting;
using UnimoG.Hosting.Options;
using UnimoG.Data.Config;
using UnimoG.Engines.Telemetry;
using UnimoG.Modeling.Pipelines;
using UnimoG.Engines;

namespace UnimoG.Denoiser;

/// <summary>Wiring of the denoiser into a host (its own, or `unimog serve --role all`).</summary>
public static class DenoiserHost
{
    public static WebApplicationBuilder AddDenoiser(this WebApplicationBuilder builder)
    {
        var model = ServingSetup.BindShared<ModelOptions>(builder, ModelOptions.Section);
        var options = UnimoGOptions.Bind<DenoiserOptions>(builder.Services, builder.Configuration, DenoiserOptions.Section);
        builder.Services.AddUnimoGFaults();
        builder.Services.AddSingleton(options);
        ServingSetup.AddModelSlot(builder.Services, "denoiser model",
            sp => new DenoiseBatcher(DenoiserModel.Load(ModelFolder.Open(model.Path), model), options,
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
