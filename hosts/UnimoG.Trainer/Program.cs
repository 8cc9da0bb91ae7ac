using UnimoG.Hosting;
using UnimoG.Trainer;

namespace UnimoG.Trainer;

/// <summary>
/// The Trainer service: hosting defaults + the Trainer gRPC adapter over the training library. With
/// <c>Trainer:ConfigPath</c> set it is a batch job that trains that configuration and exits (see <see cref="ConfiguredRun"/>).
/// </summary>
public static class TrainerProgram
{
    public static void Main(string[] args)
    {
        var b = WebApplication.CreateBuilder(args);
        b.AddUnimoGDefaults("trainer");
        b.AddTrainer();
        var app = b.Build();
        app.MapUnimoGDefaults();
        app.MapTrainer();
        app.Run();
    }
}
