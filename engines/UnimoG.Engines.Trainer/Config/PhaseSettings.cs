using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>One curriculum phase (<c>phases[i]</c>; the paper's pre-training has three): data, steps, resolution, learning rate.</summary>
public sealed record PhaseSettings : IValidatedConfig
{
    /// <summary>Empty: <c>phase{i + 1}</c> (set when the config is read).</summary>
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("data")] public DataSettings Data { get; init; } = new();
    [JsonPropertyName("steps")] public int Steps { get; init; }
    [JsonPropertyName("resolution")] public int Resolution { get; init; } = 64;
    [JsonPropertyName("learning_rate")] public double? LearningRate { get; init; }
    [JsonPropertyName("batch_size")] public int? BatchSize { get; init; }

    public void Validate(ConfigLocation at)
    {
        Data.Validate(at["data"]);
        at["steps"].InRange(Steps, 1);
        at["resolution"].InRange(Resolution, 8, 8192);
        if (LearningRate is { } lr) at["learning_rate"].InRange(lr, 0, 10);
        if (BatchSize is { } b) at["batch_size"].InRange(b, 1, 65536);
    }

    public PhaseSettings Resolve(ConfigLocation at, string baseDir, int index) => this with
    {
        Name = Name.Length > 0 ? Name : $"phase{index + 1}",
        Data = Data with { Path = TrainingConfig.FullPath(at["data"]["path"], baseDir, Data.Path)! },
    };
}
