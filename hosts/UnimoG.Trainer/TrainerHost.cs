using UnimoG.Client;
using UnimoG.Engines.Trainer.Conditions;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Training;
using UnimoG.Hosting.Discovery;
using V1 = UnimoG.Contracts.V1;
using UnimoG.Engines.Trainer.Runs;

namespace UnimoG.Trainer;

/// <summary>Wiring of the Trainer service into a host (its own Program.cs, or `unimog serve --role trainer`).</summary>
public static class TrainerHost
{
    /// <summary>The run manager, the <c>Trainer</c> gRPC service and batch-job mode (<c>Trainer:ConfigPath</c>, <see cref="ConfiguredRun"/>).</summary>
    public static WebApplicationBuilder AddTrainer(this WebApplicationBuilder builder)
    {
        builder.AddUnimoGDiscovery();
        builder.Services.AddSingleton<RunManager>();
        // Runs that read conditions from the Encoder service reach it through the hosting library's channels:
        // Services:encoder:Address or Consul (or the configuration's conditions.address), TLS, retries, request ids.
        builder.Services.AddSingleton<Func<TrainingConfig, TrainingComponents>>(sp =>
        {
            var channels = sp.GetRequiredService<ServiceChannels>();
            return config => TrainingComponents.Load(config, c =>
            {
                var invoker = string.IsNullOrWhiteSpace(c.Address) ? channels.Invoker("encoder") : channels.Invoker(new Uri(c.Address));
                var where = string.IsNullOrWhiteSpace(c.Address) ? "the encoder service" : $"Encoder service at {c.Address}";
                return new EncoderServiceConditions(new EncoderClient(new V1.Encoder.EncoderClient(invoker)), where, c.Model, c.RequestBatch);
            });
        });
        builder.Services.AddSingleton(sp => new TrainerService(sp.GetRequiredService<RunManager>(), sp.GetRequiredService<Func<TrainingConfig, TrainingComponents>>()));
        builder.Services.AddHostedService<ConfiguredRun>();
        return builder;
    }

    public static WebApplication MapTrainer(this WebApplication app)
    {
        app.MapGrpcService<TrainerService>();
        return app;
    }
}
