using System.CommandLine;

namespace UnimoG.Cli;

/// <summary>Options the diffusion component commands share.</summary>
internal static class ComponentOptions
{
    public static Option<string> Model(string what) => new("--model") { Description = what, Required = true, HelpName = "DIR" };
    public static Option<string> Inputs() => new("--inputs") { Description = "safetensors file with the input tensors", Required = true, HelpName = "IN" };
    public static Option<string> Output() => new("--output") { Description = "safetensors file to write (float32)", Required = true, HelpName = "OUT" };
    public static Option<string?> Variant() => new("--variant") { Description = "weights variant, e.g. fp16 (diffusion_pytorch_model.fp16.safetensors)" };
}
