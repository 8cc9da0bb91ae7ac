using UnimoG.Encoder;
using UnimoG.Hosting;

var b = WebApplication.CreateBuilder(args);
b.AddUnimoGDefaults("encoder");
b.AddEncoder();
var app = b.Build();
app.MapUnimoGDefaults();
app.MapEncoder();
app.Run();
