using UnimoG.Gateway;
using UnimoG.Hosting;

var b = WebApplication.CreateBuilder(args);
b.AddUnimoGDefaults("gateway");
b.AddGateway();
var app = b.Build();
app.MapUnimoGDefaults();
app.MapGateway();
app.Run();
