using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>How often checkpoints are written and how many are kept (<c>checkpoints</c>).</summary>
public sealed record CheckpointSettings : IValidatedConfig
{
    [JsonPropertyName("every")] public int Every { get; init; } = 500;
    [JsonPropertyName("keep_last")] public int KeepLast { get; init; } = 3;

    public void Validate(ConfigLocation at)
    {
        at["every"].InRange(Every, 0);
        at["keep_last"].InRange(KeepLast, 1);
    }
}
