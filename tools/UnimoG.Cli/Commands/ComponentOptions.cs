using System.CommandLine;
using UnimoG.Modeling;

namespace UnimoG.Cli;

/// <summary>Options the diffusion component commands share.</summary>
internal static class ComponentOptions
{
    public static Option<string> Model(string what) => new("--model") { Description = what, Required = true, HelpName = "DIR" };
    public static Option<string> Inputs() => new("--inputs") { Description = "safetensors file with the input tensors", Required = true, HelpName = "IN" };
    public static Option<string> Output() => new("--output") { Description = "safetensors file to write (float32)", Required = true, HelpName = "OUT" };
    public static Option<string> Dtype() => new("--dtype") { Description = "weights and compute: float32, bfloat16 or float16 (outputs are written as float32)", DefaultValueFactory = _ => "float32" };
    public static Option<string> Device() => new("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };

    /// <summary>The placement the two options name; a bad value is a usage error naming the option.</summary>
    public static ModelPlacement Placement(ParseResult parse, Option<string> device, Option<string> dtype) =>
        ModelPlacement.TryParse(parse.GetValue(device)!, parse.GetValue(dtype)!, "--device", "--dtype") is { Placement: { } at } ? at
            : throw new UsageException(ModelPlacement.TryParse(parse.GetValue(device)!, parse.GetValue(dtype)!, "--device", "--dtype").Problem!);

    public static Option<string?> Variant() => new("--variant") { Description = "weights variant, e.g. fp16 (diffusion_pytorch_model.fp16.safetensors)" };
}
