using System.CommandLine;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog component NAME --inputs IN --output OUT ...</c>: runs one model component on tensors from a
/// safetensors file and writes float32 results, to compare a port with the reference library.
/// </summary>
internal static class ComponentCommand
{
    /// <summary>The runnable components, one line each.</summary>
    private static IEnumerable<Command> Components() =>
    [
        UNetComponent.Create(),
        VaeComponents.Encode(),
        VaeComponents.Decode(),
    ];

    public static Command Create()
    {
        var command = new Command("component", "Run one model component on tensors from a safetensors file (interop checks against the reference libraries).");
        foreach (var c in Components()) command.Subcommands.Add(c);
        return command;
    }

    // Options most components share.
    public static Option<string> Model(string what) => new("--model") { Description = what, Required = true, HelpName = "DIR" };
    public static Option<string> Inputs() => new("--inputs") { Description = "safetensors file with the input tensors", Required = true, HelpName = "IN" };
    public static Option<string> Output() => new("--output") { Description = "safetensors file to write (float32)", Required = true, HelpName = "OUT" };
    public static Option<string?> Variant() => new("--variant") { Description = "weights variant, e.g. fp16 (diffusion_pytorch_model.fp16.safetensors)" };
}
