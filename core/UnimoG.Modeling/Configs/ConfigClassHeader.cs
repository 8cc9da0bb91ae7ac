using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Configs;

/// <summary>
/// What any component's <c>config.json</c> says it is: diffusers' <c>_class_name</c>, or transformers'
/// <c>architectures[0]</c> / <c>model_type</c>. Every other key is kept aside: this reads configs of any class.
/// </summary>
public sealed record ConfigClassHeader
{
    [JsonPropertyName("_class_name")] public string? ConfigClass { get; init; }
    [JsonPropertyName("architectures")] public IReadOnlyList<string>? Architectures { get; init; }
    [JsonPropertyName("model_type")] public string? ModelType { get; init; }
    [JsonExtensionData] public IgnoredKeys? IgnoredKeys { get; init; }

    /// <summary><c>_class_name</c>, else <c>architectures[0]</c>, else <c>model_type</c>.</summary>
    public string? Name => ConfigClass ?? Architectures?.FirstOrDefault() ?? ModelType;
}
