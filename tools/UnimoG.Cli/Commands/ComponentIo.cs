using System.CommandLine;
using UnimoG.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace UnimoG.Cli;

/// <summary>
/// The tensors a <c>unimog component</c> run reads: every check a user can fail (missing file or tensor,
/// wrong dtype, wrong rank or size) is a <see cref="UsageException"/> naming the tensor and the file.
/// </summary>
internal sealed class ComponentInputs
{
    private static readonly string[] FloatTypes = ["F32", "F16", "BF16", "F64"];
    private static readonly string[] IntTypes = ["I64", "I32", "I16", "I8", "U8"];

    private readonly SafetensorsFile _file;

    public string Path => _file.Path;

    private ComponentInputs(SafetensorsFile file) => _file = file;

    public static ComponentInputs Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"inputs file not found: {path}", path);
        return new ComponentInputs(SafetensorsFile.Open(path));
    }

    public bool Has(string name) => _file.Entries.ContainsKey(name);

    public int Rank(string name) => Entry(name).Shape.Length;

    private SafetensorsEntry Entry(string name) => _file.Entries.TryGetValue(name, out var e)
        ? e
        : throw new UsageException($"{Path}: no tensor '{name}' (it has: {string.Join(", ", _file.Entries.Keys.Order())})");

    /// <summary>A floating-point tensor converted to float32; <paramref name="dims"/> names each dimension (its rank is checked).</summary>
    public Tensor Float(string name, params string[] dims) => Read(name, FloatTypes, dims);

    /// <summary>A tensor of any numeric dtype (e.g. timesteps, masks), converted to float32 unless it is an integer tensor and <paramref name="keepIntegers"/>.</summary>
    public Tensor Numeric(string name, bool keepIntegers, params string[] dims)
    {
        var e = Entry(name);
        var t = Read(name, [.. FloatTypes, .. IntTypes, "BOOL"], dims);
        if (IntTypes.Contains(e.DType) || e.DType == "BOOL")
        {
            var converted = keepIntegers && e.DType != "BOOL" ? t.to_type(ScalarType.Int64) : t.to_type(ScalarType.Float32);
            t.Dispose();
            return converted;
        }
        return t;
    }

    private Tensor Read(string name, string[] dtypes, string[] dims)
    {
        var e = Entry(name);
        if (!dtypes.Contains(e.DType))
            throw new UsageException($"{Path}: tensor '{name}' is {e.DType}; expected {string.Join(", ", dtypes)}");
        if (e.Shape.Length != dims.Length)
            throw new UsageException($"{Path}: tensor '{name}' has shape {Shape(e.Shape)}; expected [{string.Join(", ", dims)}]");
        return FloatTypes.Contains(e.DType) ? _file.Read(name, ScalarType.Float32) : _file.Read(name);
    }

    /// <summary>Fails unless dimension <paramref name="dim"/> of <paramref name="name"/> is <paramref name="expected"/>.</summary>
    public void Expect(string name, Tensor t, int dim, long expected, string why)
    {
        if (t.shape[dim] != expected)
            throw new UsageException($"{Path}: tensor '{name}' has shape {Shape(t.shape)}; dimension {dim} must be {expected} ({why})");
    }

    public static string Shape(long[] shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>Writes float32 outputs (safetensors, sorted names).</summary>
    public static void Write(string path, params (string Name, Tensor Value)[] outputs)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"output folder not found: {dir}");
        using var scope = NewDisposeScope();
        SafetensorsWriter.Save(path, outputs.Select(o => new KeyValuePair<string, Tensor>(o.Name, o.Value.to_type(ScalarType.Float32).contiguous())));
    }
}

/// <summary>Options the diffusion component commands share.</summary>
internal static class ComponentOptions
{
    public static Option<string> Model(string what) => new("--model") { Description = what, Required = true, HelpName = "DIR" };
    public static Option<string> Inputs() => new("--inputs") { Description = "safetensors file with the input tensors", Required = true, HelpName = "IN" };
    public static Option<string> Output() => new("--output") { Description = "safetensors file to write (float32)", Required = true, HelpName = "OUT" };
    public static Option<string?> Variant() => new("--variant") { Description = "weights variant, e.g. fp16 (diffusion_pytorch_model.fp16.safetensors)" };
}
