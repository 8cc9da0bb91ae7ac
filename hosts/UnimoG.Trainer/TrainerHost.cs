using UnimoG.Engines.Trainer.Runs;

namespace UnimoG.Trainer;

/// <summary>Wiring of the Trainer service into a host (its own Program.cs, or `unimog serve --role trainer`).</summary>
public static class TrainerHost
{
    /// <summary>The run manager, the <c>Trainer</c> gRPC service and batch-job mode (<c>Trainer:ConfigPath</c>, <see cref="ConfiguredRun"/>).</summary>
    public static WebApplicationBuilder AddTrainer(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RunManager>();
        builder.Services.AddSingleton(sp => new TrainerService(sp.GetRequiredService<RunManager>()));
        builder.Services.AddHostedService<ConfiguredRun>();
        return builder;
    }

    public static WebApplication MapTrainer(this WebApplication app)
    {
        app.MapGrpcService<TrainerService>();
        return app;
    }
}
