using System.Text.Json;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Checkpoints;

/// <summary>
/// The tensors of a checkpoint, possibly spread over shards: name -> (file, entry). Nothing is read
/// until <see cref="Read"/> asks for one tensor.
/// </summary>
public sealed class TensorSource
{
    private readonly Dictionary<string, SafetensorsFile> _owner;

    public string Description { get; }
    public IReadOnlyCollection<string> Names => _owner.Keys;

    private TensorSource(string description, Dictionary<string, SafetensorsFile> owner)
    {
        Description = description;
        _owner = owner;
    }

    public static TensorSource FromFile(string path) => FromFiles(path, [path]);

    public static TensorSource FromFiles(string description, IEnumerable<string> paths)
    {
        var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        foreach (var p in paths)
        {
            var f = SafetensorsFile.Open(p);
            foreach (var name in f.Entries.Keys)
                if (!owner.TryAdd(name, f))
                    throw new InvalidDataException($"tensor '{name}' appears in both {owner[name].Path} and {p}");
        }
        return new TensorSource(description, owner);
    }

    /// <summary>A sharded checkpoint: <c>*.safetensors.index.json</c> with a <c>weight_map</c> of name -> shard file.</summary>
    public static TensorSource FromIndex(string indexPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        if (!doc.RootElement.TryGetProperty("weight_map", out var map))
            throw new InvalidDataException($"{indexPath}: no \"weight_map\"");
        var dir = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var shards = map.EnumerateObject().Select(p => p.Value.GetString()!).Distinct().Select(s => Path.Combine(dir, s)).ToList();
        var source = FromFiles(indexPath, shards);
        var declared = map.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var stray = source.Names.Where(n => !declared.Contains(n)).Take(5).ToList();
        var absent = declared.Where(n => !source._owner.ContainsKey(n)).Take(5).ToList();
        if (stray.Count > 0 || absent.Count > 0)
            throw new InvalidDataException(
                $"{indexPath}: weight_map disagrees with the shards (not in any shard: [{string.Join(", ", absent)}]; not in the map: [{string.Join(", ", stray)}])");
        return source;
    }

    /// <summary>
    /// The weights of one component folder in the diffusers (<c>diffusion_pytorch_model</c>) or
    /// transformers (<c>model</c>) layout: a single file or a sharded index, optionally a variant
    /// such as <c>fp16</c> (<c>diffusion_pytorch_model.fp16.safetensors</c>). Without a variant the
    /// plain file is preferred and a lone variant file (or lone sharded index) is used when it is all there is.
    /// </summary>
    public static TensorSource ForComponent(string folder, string? variant = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"model folder not found: {folder}");
        var tried = new List<string>();
        foreach (var baseName in new[] { "diffusion_pytorch_model", "model" })
        {
            var candidates = new List<string>();
            if (variant is not null)
            {
                candidates.Add($"{baseName}.{variant}.safetensors");
                candidates.Add($"{baseName}.safetensors.index.{variant}.json");
                candidates.Add($"{baseName}.{variant}.safetensors.index.json");
            }
            candidates.Add($"{baseName}.safetensors");
            candidates.Add($"{baseName}.safetensors.index.json");
            foreach (var c in candidates)
            {
                var path = Path.Combine(folder, c);
                tried.Add(c);
                if (File.Exists(path))
                    return c.EndsWith(".json", StringComparison.Ordinal) ? FromIndex(path) : FromFile(path);
            }
        }
        if (variant is null)
        {
            var lone = Directory.GetFiles(folder, "*.safetensors").Where(f => !Path.GetFileName(f).StartsWith('.')).ToList();
            if (lone.Count == 1) return FromFile(lone[0]);
            // A lone sharded variant (e.g. diffusion_pytorch_model.safetensors.index.fp16.json) is all there is.
            var indexes = Directory.GetFiles(folder, "*.safetensors.index*.json").ToList();
            if (indexes.Count == 1) return FromIndex(indexes[0]);
        }
        var bins = Directory.GetFiles(folder, "*.bin").Select(Path.GetFileName).ToList();
        var hint = bins.Count > 0 ? $" Found only PyTorch pickles ({string.Join(", ", bins)}): convert them to safetensors." : "";
        throw new FileNotFoundException($"no weights in {folder}: looked for {string.Join(", ", tried.Distinct())}.{hint}");
    }

    public bool Contains(string name) => _owner.ContainsKey(name);

    public SafetensorsEntry Entry(string name) =>
        _owner.TryGetValue(name, out var f) ? f.Entries[name] : throw new KeyNotFoundException($"{Description}: no tensor named '{name}'");

    public Tensor Read(string name, ScalarType? dtype = null) =>
        _owner.TryGetValue(name, out var f) ? f.Read(name, dtype) : throw new KeyNotFoundException($"{Description}: no tensor named '{name}'");
}
