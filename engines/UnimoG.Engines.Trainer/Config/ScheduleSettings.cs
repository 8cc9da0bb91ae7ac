using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>The learning-rate schedule (<c>lr_schedule</c>), diffusers' <c>get_scheduler</c> semantics (docs/training.md).</summary>
public sealed record ScheduleSettings : IValidatedConfig
{
    [JsonPropertyName("kind")] public string Kind { get; init; } = "constant";   // constant | cosine
    [JsonPropertyName("warmup_steps")] public int WarmupSteps { get; init; }
    [JsonPropertyName("min_lr_ratio")] public double MinLrRatio { get; init; }

    public void Validate(ConfigLocation at)
    {
        at["kind"].OneOf(Kind, "constant", "cosine");
        at["warmup_steps"].InRange(WarmupSteps, 0);
        at["min_lr_ratio"].InRange(MinLrRatio, 0, 1);
    }
}
