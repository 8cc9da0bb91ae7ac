using static TorchSharp.torch;

namespace UnimoG.Modeling.Checkpoints;

/// <summary>
/// The input tensors of one <c>unimog component</c> run, by name, from a safetensors file. Every check a user can
/// fail (missing file or tensor, wrong dtype, rank or size) is an <see cref="InvalidDataException"/> naming the
/// tensor and the file. A dimension is given by name (<c>"B"</c>: any size) or by number (<c>"32"</c>: exactly).
/// </summary>
public sealed class ComponentInputs
{
    private static readonly string[] FloatTypes = ["F32", "F16", "BF16", "F64"];
    private static readonly string[] IntTypes = ["I64", "I32", "I16", "I8", "U8"];

    private readonly SafetensorsFile _file;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    private ComponentInputs(SafetensorsFile file) => _file = file;

    public string Path => _file.Path;

    public static ComponentInputs Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"inputs file not found: {path}", path);
        return new ComponentInputs(SafetensorsFile.Open(path));
    }

    public bool Has(string name) => _file.Entries.ContainsKey(name);

    public int Rank(string name) => Entry(name).Shape.Length;

    /// <summary>Input names no read asked for (the caller may warn).</summary>
    public IReadOnlyList<string> Unused => _file.Entries.Keys.Where(k => !_used.Contains(k)).Order(StringComparer.Ordinal).ToList();

    /// <summary>A floating-point tensor, as float32.</summary>
    public Tensor Float(string name, params string[] dims) => Read(name, FloatTypes, dims, ScalarType.Float32);

    /// <summary>An integer tensor of ids in [0, <paramref name="vocab"/>), as int64.</summary>
    public Tensor Ids(string name, long vocab, params string[] dims)
    {
        var t = Read(name, IntTypes, dims, ScalarType.Int64);
        if (t.NumberOfElements > 0 && (t.min().item<long>() < 0 || t.max().item<long>() >= vocab))
            throw new InvalidDataException($"{Path}: tensor '{name}' has ids outside [0, {vocab})");
        return t;
    }

    /// <summary>A tensor of any numeric dtype (timesteps, masks): int64 when it is an integer tensor and <paramref name="keepIntegers"/>, else float32.</summary>
    public Tensor Numeric(string name, bool keepIntegers, params string[] dims)
    {
        var integer = IntTypes.Contains(Entry(name).DType);
        return Read(name, [.. FloatTypes, .. IntTypes, "BOOL"], dims, keepIntegers && integer ? ScalarType.Int64 : ScalarType.Float32);
    }

    /// <summary>An optional 1/0 mask (integer, bool or float), as float32; null when the file has none.</summary>
    public Tensor? OptionalMask(string name, params string[] dims) => Has(name) ? Numeric(name, keepIntegers: false, dims) : null;

    /// <summary>Fails unless dimension <paramref name="dim"/> of <paramref name="t"/> is <paramref name="expected"/>.</summary>
    public void Expect(string name, Tensor t, int dim, long expected, string why)
    {
        if (t.shape[dim] != expected)
            throw new InvalidDataException($"{Path}: tensor '{name}' has shape {Shape(t.shape)}; dimension {dim} must be {expected} ({why})");
    }

    public static string Shape(long[] shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>Writes float32 outputs (safetensors, sorted names) into an existing folder; returns what it wrote, for the user.</summary>
    public static string WriteOutputs(string path, IEnumerable<KeyValuePair<string, Tensor>> outputs)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"output folder not found: {dir}");
        using var scope = NewDisposeScope();
        var list = outputs.ToList();
        SafetensorsWriter.Save(path, list.Select(o => KeyValuePair.Create(o.Key, o.Value.to_type(ScalarType.Float32).contiguous())));
        return $"wrote {path}: " + string.Join(", ", list.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} F32 {Shape(o.Value.shape)}"));
    }

    private SafetensorsEntry Entry(string name)
    {
        _used.Add(name);
        return _file.Entries.TryGetValue(name, out var e)
            ? e
            : throw new InvalidDataException($"{Path}: missing input tensor '{name}' (it has: {string.Join(", ", _file.Entries.Keys.Order(StringComparer.Ordinal))})");
    }

    private Tensor Read(string name, string[] dtypes, string[] dims, ScalarType type)
    {
        var e = Entry(name);
        if (!dtypes.Contains(e.DType))
            throw new InvalidDataException($"{Path}: tensor '{name}' is {e.DType}; expected {string.Join(", ", dtypes)}");
        var fits = e.Shape.Length == dims.Length && !e.Shape.Contains(0)
            && e.Shape.Zip(dims).All(p => !long.TryParse(p.Second, out var want) || p.First == want);
        if (!fits)
            throw new InvalidDataException($"{Path}: tensor '{name}' has shape {Shape(e.Shape)}; expected [{string.Join(", ", dims)}]");
        return _file.Read(name, type);
    }
}
