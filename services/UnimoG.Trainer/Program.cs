using UnimoG.Hosting;
using UnimoG.Trainer.Grpc;

namespace UnimoG.Trainer;

/// <summary>
/// The Trainer service: hosting defaults + the Trainer gRPC adapter over the training library. With
/// <c>Trainer:ConfigPath</c> set it is a batch job that trains that configuration and exits (see <see cref="ConfiguredRun"/>).
/// </summary>
public static class TrainerProgram
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddUnimoGDefaults("trainer");
        builder.Services.AddSingleton<RunManager>();
        builder.Services.AddSingleton(sp => new TrainerService(sp.GetRequiredService<RunManager>()));
        builder.Services.AddHostedService<ConfiguredRun>();
        var app = builder.Build();
        app.MapUnimoGDefaults();
        app.MapGrpcService<TrainerService>();
        app.Run();
    }
}
