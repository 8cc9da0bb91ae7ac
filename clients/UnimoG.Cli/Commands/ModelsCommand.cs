using System.CommandLine;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog models info NAME</c>. Minimal until the U-Net side's version lands: each family registers one describer
/// line below.
/// </summary>
internal static class ModelsCommand
{
    private static readonly Func<string, string?>[] Describers =
    [
        MllmModelsInfo.TryDescribe,
    ];

    private static IEnumerable<string> Known => MllmModelsInfo.Names;

    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = $"configuration name ({string.Join(", ", Known)})" };
        var info = new Command("info", "Describe a named model configuration and its parameter count.") { name };
        info.SetAction(parse =>
        {
            var n = parse.GetValue(name)!;
            var text = Describers.Select(d => d(n)).FirstOrDefault(t => t is not null)
                       ?? throw new UsageException($"unknown model configuration '{n}'; known: {string.Join(", ", Known)}");
            Console.WriteLine(text);
            return 0;
        });
        var models = new Command("models", "Named model configurations.");
        models.Subcommands.Add(info);
        return models;
    }
}
