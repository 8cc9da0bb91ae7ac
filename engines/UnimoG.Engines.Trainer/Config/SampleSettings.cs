using System.Text.Json.Serialization;
using UnimoG.Data.Config;
using UnimoG.Data.Sampling;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>The sample grids drawn during training (<c>samples</c>).</summary>
public sealed record SampleSettings : IValidatedConfig
{
    [JsonPropertyName("every")] public int Every { get; init; }
    [JsonPropertyName("prompts")] public IReadOnlyList<string> Prompts { get; init; } = [];
    [JsonPropertyName("steps")] public int Steps { get; init; } = 20;
    /// <summary>One of the served samplers (docs/sampling.md), built from the model's scheduler config.</summary>
    [JsonPropertyName("sampler")] public string Sampler { get; init; } = "ddim";
    [JsonPropertyName("guidance_scale")] public double GuidanceScale { get; init; } = 5.0;
    [JsonPropertyName("seed")] public long Seed { get; init; }
    [JsonPropertyName("resolution")] public int? Resolution { get; init; }

    public void Validate(ConfigLocation at)
    {
        at["every"].InRange(Every, 0);
        at["steps"].InRange(Steps, 1, 1000);
        if (SamplerPresets.Find(Sampler) is null) at["sampler"].OneOf(Sampler, [.. SamplerPresets.Names]);
        at["guidance_scale"].InRange(GuidanceScale, 0, 100);
        if (Resolution is { } r) at["resolution"].InRange(r, 8, 8192);
        if (Every > 0 && Prompts.Count == 0) throw at["prompts"].Error("must list at least one prompt when samples.every > 0");
    }
}
