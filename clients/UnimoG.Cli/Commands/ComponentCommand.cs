using System.CommandLine;

namespace UnimoG.Cli;

/// <summary><c>unimog component ...</c>: run one model component on a safetensors file of inputs.</summary>
internal static class ComponentCommand
{
    public static Command Create()
    {
        var command = new Command("component", "Run one model component (transformers/diffusers folder) on named input tensors; write float32 outputs.");
        foreach (var sub in Subcommands()) command.Subcommands.Add(sub);
        return command;
    }

    /// <summary>One line per component subcommand.</summary>
    private static IEnumerable<Command> Subcommands() =>
    [
        ComponentClipTextCommand.Create(),
        ComponentClipVisionCommand.Create(),
        ComponentLlamaCommand.Create(),
        ComponentQFormerCommand.Create(),
    ];
}
