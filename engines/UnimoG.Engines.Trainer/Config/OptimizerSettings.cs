using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>AdamW (<c>optimizer</c>).</summary>
public sealed record OptimizerSettings : IValidatedConfig
{
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; } = 1e-4;
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 0.01;   // the paper's; TorchSharp's default is 0
    [JsonPropertyName("beta1")] public double Beta1 { get; init; } = 0.9;
    [JsonPropertyName("beta2")] public double Beta2 { get; init; } = 0.999;
    [JsonPropertyName("eps")] public double Eps { get; init; } = 1e-8;
    /// <summary>Clip the global gradient norm to this; 0 disables clipping.</summary>
    [JsonPropertyName("max_grad_norm")] public double MaxGradNorm { get; init; } = 1.0;

    public void Validate(ConfigLocation at)
    {
        at["learning_rate"].InRange(LearningRate, 0, 10);
        at["weight_decay"].InRange(WeightDecay, 0, 10);
        at["beta1"].InRange(Beta1, 0, 0.999999);
        at["beta2"].InRange(Beta2, 0, 0.999999999);
        at["eps"].InRange(Eps, 1e-30, 1);
        at["max_grad_norm"].InRange(MaxGradNorm, 0);
    }
}
