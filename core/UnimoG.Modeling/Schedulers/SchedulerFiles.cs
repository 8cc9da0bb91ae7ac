using System.Text.Json.Nodes;
using UnimoG.Data.Config;
using UnimoG.Data.Sampling;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// Schedulers from diffusers' <c>scheduler_config.json</c>: the file's <c>_class_name</c> picks the class (the file
/// format's own switch, in this one place), and from a model's config with a preset's keys replaced
/// (<c>from_config</c>).
/// </summary>
public static class SchedulerFiles
{
    /// <summary>The classes we reproduce, by diffusers' class name.</summary>
    public static readonly IReadOnlyList<string> Classes =
        ["DDIMScheduler", "DPMSolverMultistepScheduler", "EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler", "UniPCMultistepScheduler"];

    /// <summary>From a scheduler folder, a pipeline folder or the file itself.</summary>
    public static INoiseScheduler Load(string path)
    {
        var file = DiffusersSchedulerConfig.FindFile(path);
        return Parse(File.ReadAllText(file), file);
    }

    /// <summary>The scheduler config text names with its <c>_class_name</c> (<paramref name="file"/> names it in errors).</summary>
    public static INoiseScheduler Parse(string json, string file) => Create(ClassName(json, file), json, file);

    /// <summary>The scheduler of class <paramref name="className"/> from config text (<paramref name="file"/> names it in errors).</summary>
    public static INoiseScheduler Create(string className, string json, string file) => className switch
    {
        "DDIMScheduler" => new DdimScheduler(ConfigJson.Parse<DdimSchedulerConfig>(json, file)),
        "DPMSolverMultistepScheduler" => new DpmSolverScheduler(ConfigJson.Parse<DpmSolverConfig>(json, file)),
        "EulerDiscreteScheduler" => new EulerScheduler(ConfigJson.Parse<EulerConfig>(json, file)),
        "EulerAncestralDiscreteScheduler" => new EulerAncestralScheduler(ConfigJson.Parse<EulerAncestralConfig>(json, file)),
        "UniPCMultistepScheduler" => new UniPcScheduler(ConfigJson.Parse<UniPcConfig>(json, file)),
        _ => throw new ConfigException(file, "_class_name", $"\"{className}\" is not one we implement: {string.Join(", ", Classes)}"),
    };

    /// <summary>
    /// <paramref name="preset"/>'s scheduler for a model whose scheduler config is <paramref name="model"/>: its training
    /// schedule, prediction type and spacing, with the preset's keys replaced (keys of other classes are ignored).
    /// </summary>
    public static INoiseScheduler Derive(DiffusersSchedulerConfig model, SamplerPreset preset)
    {
        var merged = JsonNode.Parse(ConfigJson.Write((object)model))!.AsObject();
        foreach (var (key, value) in JsonNode.Parse(preset.OverridesJson)!.AsObject()) merged[key] = value?.DeepClone();
        merged["_class_name"] = preset.DiffusersClass;
        return Create(preset.DiffusersClass, merged.ToJsonString(), $"the model's scheduler config as {preset.Name}");
    }

    // Through the config reader, so a file that is no JSON object, or has Python's -Infinity, fails or reads as any config does.
    private static string ClassName(string json, string file) =>
        ConfigJson.Parse<ClassNameOnly>(json, file).ClassName
        ?? throw new ConfigException(file, "_class_name", $"is missing: say which scheduler this is ({string.Join(", ", Classes)})");

    private sealed record ClassNameOnly
    {
        [System.Text.Json.Serialization.JsonPropertyName("_class_name")] public string? ClassName { get; init; }
        [System.Text.Json.Serialization.JsonExtensionData] public IgnoredKeys? Rest { get; init; }
    }
}
