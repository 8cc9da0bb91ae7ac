using System.CommandLine;
using UnimoG.Modeling.Checkpoints;

namespace UnimoG.Cli;

/// <summary>The <c>unimog</c> command tree. Each verb lives in its own file under Commands/.</summary>
public static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("UNIMO-G: image generation from multimodal prompts (text interleaved with images).");
        foreach (var command in Commands.All())
            root.Subcommands.Add(command);
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        try
        {
            var parsed = Build().Parse(args);
            if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
            {
                // A wrong or missing option is a usage error like any other: one line, exit code 2.
                Console.Error.WriteLine($"unimog: {string.Join("; ", parsed.Errors.Select(e => e.Message))} (see --help)");
                return 2;
            }
            return await parsed.InvokeAsync(config);
        }
        catch (Exception e) when (UserError(e) is { } message)
        {
            // What a user can get wrong (a path, a tensor name, a dtype, a shape) is one line and exit code 2.
            Console.Error.WriteLine($"unimog: {message}");
            return 2;
        }
    }

    private static string? UserError(Exception e) => e switch
    {
        UsageException u => u.Message,
        FileNotFoundException f => f.Message,
        DirectoryNotFoundException d => d.Message,
        KeyNotFoundException k => k.Message.Trim('\''),
        InvalidDataException i => i.Message,
        UnimoG.Imaging.ImageDecodeException i => i.Message,
        CheckpointMismatchException c => c.Message.ReplaceLineEndings(" "),
        UnimoG.Data.Config.ConfigException c => c.Message,
        UnimoG.Data.Config.ModelFolderException m => m.Message,
        UnimoG.Client.UnimoGException u => $"{u.Status}: {u.Detail}",
        Microsoft.Extensions.Options.OptionsValidationException o => string.Join(" ", o.Failures),
        OperationCanceledException => "cancelled",
        _ => null,
    };
}

/// <summary>A mistake in how a command was called (missing input tensor, wrong shape...): exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
