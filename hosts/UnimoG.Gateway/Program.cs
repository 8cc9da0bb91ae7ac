using UnimoG.Gateway;
using UnimoG.Hosting;
using UnimoG.Studio;

var b = WebApplication.CreateBuilder(args);
b.AddUnimoGDefaults("gateway");
b.AddGateway();
b.AddUnimoGStudio();   // the browser page and gRPC-Web on a port of its own (Studio:*)
var app = b.Build();
app.MapUnimoGDefaults();
app.MapGateway();
app.LogUnimoGStudio();
app.Run();
