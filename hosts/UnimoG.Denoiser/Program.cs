using UnimoG.Denoiser;
using UnimoG.Hosting;

var b = WebApplication.CreateBuilder(args);
b.AddUnimoGDefaults("denoiser");
b.AddDenoiser();
var app = b.Build();
app.MapUnimoGDefaults();
app.MapDenoiser();
app.Run();
