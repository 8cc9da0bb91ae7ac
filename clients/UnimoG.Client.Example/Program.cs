using Microsoft.Extensions.DependencyInjection;
using UnimoG.Client;

// A backend's call to UNIMO-G: `dotnet run -- http://127.0.0.1:5000 "<img1> wearing <img2>" woman.png top-hat.png`
// against `./unimog serve --role all --urls http://127.0.0.1:5000`. Writes example.png.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: UnimoG.Client.Example GATEWAY_URL PROMPT [IMAGE...]   (e.g. http://127.0.0.1:5000 \"<img1> wearing <img2>\" a.png b.png)");
    return 2;
}
var services = new ServiceCollection()
    .AddUnimoGClient(o =>
    {
        o.Address = new Uri(args[0]);
        o.ApiKey = Environment.GetEnvironmentVariable("UNIMOG_API_KEY");
    })
    .BuildServiceProvider();
var client = services.GetRequiredService<UnimoGClient>();
var request = UnimoGClient.Request(args[1], args.Skip(2).Select(File.ReadAllBytes));
request.Seed = 42;
try
{
    await foreach (var e in client.GenerateAsync(request, deadline: DateTime.UtcNow.AddMinutes(5)))
    {
        switch (e)
        {
            case GenerationEvent.Accepted a:
                Console.WriteLine($"accepted {a.Info.RequestId}: seed {a.Info.Seed}, {a.Info.Steps} steps");
                break;
            case GenerationEvent.Progress p:
                Console.WriteLine($"step {p.Step}/{p.Total}");
                break;
            case GenerationEvent.Image i:
                await File.WriteAllBytesAsync("example.png", i.Png);
                Console.WriteLine($"wrote example.png ({i.Width}x{i.Height})");
                break;
        }
    }
    return 0;
}
catch (InvalidRequestException e)
{
    // Bad input: the message starts with the field (prompt.text, width, ...).
    Console.Error.WriteLine($"refused ({e.Field}): {e.Detail}");
    return 2;
}
catch (UnimoGException e)
{
    Console.Error.WriteLine($"{e.Status}: {e.Detail}");
    return 1;
}
