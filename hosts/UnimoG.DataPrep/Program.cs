using UnimoG.DataPrep;
using UnimoG.Hosting;

var b = WebApplication.CreateBuilder(args);
b.AddUnimoGDefaults("dataprep");
b.AddDataPrep();
var app = b.Build();
app.MapUnimoGDefaults();
app.MapDataPrep();
app.Run();
