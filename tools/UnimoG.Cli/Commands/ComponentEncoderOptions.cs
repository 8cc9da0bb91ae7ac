using System.CommandLine;
using UnimoG.Modeling.Encoders;

namespace UnimoG.Cli;

/// <summary>The shared <c>--model DIR --inputs IN --output OUT</c> shape of the encoder component subcommands.</summary>
internal static class ComponentEncoderOptions
{
    public static Command Build(string name, string kind, string description)
    {
        var model = new Option<string>("--model") { Description = "transformers model folder (config.json + model.safetensors, sharded or fp16)", Required = true };
        var inputs = new Option<string>("--inputs") { Description = "safetensors file of input tensors", Required = true };
        var output = new Option<string>("--output") { Description = "safetensors file to write (float32)", Required = true };
        var dtype = ComponentOptions.Dtype();
        var device = ComponentOptions.Device();
        var command = new Command(name, description) { model, inputs, output, dtype, device };
        command.SetAction(parse =>
        {
            IReadOnlyList<string> unused;
            // The model loads at the placement in force (FromPretrained's default).
            using (ComponentOptions.Placement(parse, device, dtype).Use())
                unused = Run(kind, parse.GetValue(model)!, parse.GetValue(inputs)!, parse.GetValue(output)!);
            foreach (var u in unused) Console.Error.WriteLine($"unimog: warning: input tensor '{u}' is not used by {name}");
            Console.Out.WriteLine($"{name}: wrote {parse.GetValue(output)}");
            return 0;
        });
        return command;
    }

    private static IReadOnlyList<string> Run(string kind, string model, string inputs, string output)
    {
        try
        {
            return ComponentRunner.RunFiles(kind, model, inputs, output);
        }
        catch (ArgumentException e)
        {
            // shapes the model rejects (e.g. pixel_values of the wrong size) are the caller's mistake
            throw new UsageException(e.Message);
        }
    }
}
