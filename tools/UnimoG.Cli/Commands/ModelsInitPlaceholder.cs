using System.CommandLine;
using UnimoG.Modeling.Pipelines;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog models init-placeholder --out DIR --seed N</c>: an UNTRAINED model folder of the placeholder architecture
/// (<c>init-mini</c>, its old name, still works: the shipped mini model is another architecture).
/// </summary>
internal static class ModelsInitPlaceholder
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "the model folder to write", Required = true };
        var seed = new Option<long>("--seed") { Description = "seed of the random weights (the same seed writes the same bytes)", DefaultValueFactory = _ => 0 };
        var force = new Option<bool>("--force") { Description = "overwrite a non-empty folder" };
        var command = new Command("init-placeholder", "Write an UNTRAINED placeholder model (random weights from a seed; not the shipped mini model) as a model folder.") { output, seed, force };
        command.Aliases.Add("init-mini");
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(output)!;
            if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any() && !parse.GetValue(force))
                throw new UsageException($"--out {dir} is not empty (add --force to overwrite)");
            var result = PlaceholderModel.Create(dir, parse.GetValue(seed));
            Console.Out.WriteLine($"wrote {dir}: unet {result.Parameters["unet"]:N0}, vae {result.Parameters["vae"]:N0}, mllm {result.Parameters["mllm"]:N0} parameters; {result.Bytes / 1e6:0.0} MB on disk (float16)");
            Console.Out.WriteLine($"preview factors fitted to its VAE: rmse {result.PreviewRmse:0.0000}");
            Console.Error.WriteLine($"unimog: warning: {dir} is UNTRAINED (random weights): it generates noise. It exists so every command runs before the trained model does.");
            return 0;
        });
        return command;
    }
}
