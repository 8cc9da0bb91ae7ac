using UnimoG.Hosting;
using UnimoG.Trainer;

// The Trainer service: hosting defaults + the Trainer gRPC adapter over the training engine. With Trainer:ConfigPath
// set it is a batch job that trains that configuration and exits (see ConfiguredRun).
var b = WebApplication.CreateBuilder(args);
b.AddUnimoGDefaults("trainer");
b.AddTrainer();
var app = b.Build();
app.MapUnimoGDefaults();
app.MapTrainer();
app.Run();
