using UnimoG.Hosting;
using UnimoG.Vae;

var b = WebApplication.CreateBuilder(args);
b.AddUnimoGDefaults("vae");
b.AddVae();
var app = b.Build();
app.MapUnimoGDefaults();
app.MapVae();
app.Run();
