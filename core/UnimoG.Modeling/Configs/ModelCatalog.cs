using System.Text.Json;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Diffusion;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Configs;

/// <summary>One component of a model: its configuration and its parameter count (counted without allocating weights).</summary>
/// <param name="Weights">What the folder's weight files hold (tensor count, parameters, dtypes), when inspected from a folder.</param>
public sealed record ComponentInfo(string Name, string ClassName, long Parameters, string ConfigJson, string? Weights = null)
{
    public static ComponentInfo UNet(string name, UNet2DConditionConfig c) =>
        new(name, UNet2DConditionConfig.ClassName, UNet2DConditionModel.CountParameters(c), Data.Config.ConfigJson.Write(c));

    public static ComponentInfo Vae(string name, AutoencoderKLConfig c) =>
        new(name, AutoencoderKLConfig.ClassName, AutoencoderKL.CountParameters(c), Data.Config.ConfigJson.Write(c));
}

/// <summary>A named configuration: a description and the components it is made of (built on demand).</summary>
public sealed record NamedModel(string Name, string Description, Func<IReadOnlyList<ComponentInfo>> Components);

/// <summary>
/// The models <c>unimog models info</c> knows: named configurations, and readers for component folders keyed
/// by the config's class (<c>_class_name</c> for diffusers, else <c>architectures[0]</c> / <c>model_type</c> for
/// transformers). Adding a model or a component type is one line in one of the two lists below.
/// </summary>
public static class ModelCatalog
{
    public static readonly IReadOnlyList<NamedModel> Named =
    [
        new("paper", "UNIMO-G paper U-Net (SD block layout, channels 640/1280/2560/2560, 16 heads, cross-attention to 4096-wide MLLM states)",
            () => [ComponentInfo.UNet("unet", DiffusionConfigs.PaperUNet)]),
        new("sd15", "Stable Diffusion 1.5 (U-Net and VAE configs of runwayml/stable-diffusion-v1-5)",
            () => [ComponentInfo.UNet("unet", DiffusionConfigs.Sd15UNet), ComponentInfo.Vae("vae", DiffusionConfigs.Sd15Vae)]),
        new("placeholder", "the UNTRAINED placeholder of `unimog models init-placeholder` (not the shipped mini model): U-Net channels 32/64/64 on 16x16x4 latents, cross-attention to a 64-wide MLLM; VAE 64x64x3 <-> 16x16x4",
            () => [ComponentInfo.UNet("unet", PlaceholderConfigs.UNet), ComponentInfo.Vae("vae", PlaceholderConfigs.Vae)]),
    ];

    /// <summary>Reads a component folder (with its <c>config.json</c>) into a <see cref="ComponentInfo"/>, by config class.</summary>
    public static readonly IReadOnlyDictionary<string, Func<string, string, ComponentInfo>> FolderReaders =
        new Dictionary<string, Func<string, string, ComponentInfo>>(StringComparer.Ordinal)
        {
            [UNet2DConditionConfig.ClassName] = (name, dir) => ComponentInfo.UNet(name, ConfigJson.Read<UNet2DConditionConfig>(Path.Combine(dir, "config.json"))),
            [AutoencoderKLConfig.ClassName] = (name, dir) => ComponentInfo.Vae(name, ConfigJson.Read<AutoencoderKLConfig>(Path.Combine(dir, "config.json"))),
        };

    public static NamedModel? Find(string name) => Named.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// A model folder as a <see cref="NamedModel"/>: a pipeline folder (<c>model_index.json</c>; each listed
    /// component whose class we know), a single component folder (<c>config.json</c>), or a folder of
    /// component folders.
    /// </summary>
    public static NamedModel FromFolder(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"not a configuration name ({string.Join(", ", Named.Select(m => m.Name))}) nor a folder: {folder}");
        var index = Path.Combine(folder, "model_index.json");
        if (File.Exists(index))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(index));
            var listed = doc.RootElement.EnumerateObject().Where(p => !p.Name.StartsWith('_') && p.Value.ValueKind == JsonValueKind.Array)
                .Select(p => p.Name).ToList();
            var cls = doc.RootElement.TryGetProperty("_class_name", out var c) ? c.GetString() : "pipeline";
            return new NamedModel(folder, $"{cls} folder", () => listed
                .Select(n => (Name: n, Dir: Path.Combine(folder, n)))
                .Where(x => File.Exists(Path.Combine(x.Dir, "config.json")) && FolderReaders.ContainsKey(ConfigClass(Path.Combine(x.Dir, "config.json")) ?? ""))
                .Select(x => Read(x.Name, x.Dir)).ToList());
        }
        var config = Path.Combine(folder, "config.json");
        if (!File.Exists(config))
        {
            // Component folders without a model_index.json (e.g. just unet/ and vae/).
            var subs = Directory.GetDirectories(folder).Order(StringComparer.Ordinal)
                .Where(d => File.Exists(Path.Combine(d, "config.json")) && FolderReaders.ContainsKey(ConfigClass(Path.Combine(d, "config.json")) ?? "")).ToList();
            if (subs.Count == 0) throw new FileNotFoundException($"{folder} has no model_index.json, no config.json and no component folder", config);
            return new NamedModel(folder, "folder of components", () => subs.Select(d => Read(Path.GetFileName(d), d)).ToList());
        }
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        return new NamedModel(folder, "component folder", () => [Read(name, folder)]);
    }

    private static ComponentInfo Read(string name, string dir)
    {
        var cls = ConfigClass(Path.Combine(dir, "config.json"));
        if (cls is null || !FolderReaders.TryGetValue(cls, out var reader))
            throw new InvalidDataException($"{Path.Combine(dir, "config.json")}: unknown model class '{cls}' (known: {string.Join(", ", FolderReaders.Keys)})");
        return reader(name, dir) with { Weights = DescribeWeights(dir) };
    }

    /// <summary><c>_class_name</c>, else <c>architectures[0]</c>, else <c>model_type</c>.</summary>
    public static string? ConfigClass(string configPath) => Data.Config.ConfigJson.Read<ConfigClassHeader>(configPath).Name;

    private static string? DescribeWeights(string dir)
    {
        try
        {
            var source = TensorSource.ForComponent(dir);
            var entries = source.Names.Select(source.Entry).ToList();
            var dtypes = string.Join("/", entries.Select(e => e.DType).Distinct().Order());
            return $"{source.Description}: {entries.Count} tensors, {entries.Sum(e => e.Shape.Aggregate(1L, (x, y) => x * y)):N0} values ({dtypes})";
        }
        catch (FileNotFoundException)
        {
            return "no weights";
        }
    }
}
