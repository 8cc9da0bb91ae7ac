using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>diffusers' <c>EMAModel</c> settings (<c>ema</c>): decay, warm-up.</summary>
public sealed record EmaSettings : IValidatedConfig
{
    [JsonPropertyName("enabled")] public bool Enabled { get; init; } = true;
    [JsonPropertyName("decay")] public double Decay { get; init; } = 0.9999;
    [JsonPropertyName("min_decay")] public double MinDecay { get; init; }
    [JsonPropertyName("update_after_step")] public int UpdateAfterStep { get; init; }
    [JsonPropertyName("use_ema_warmup")] public bool UseWarmup { get; init; } = true;
    [JsonPropertyName("inv_gamma")] public double InvGamma { get; init; } = 1.0;
    [JsonPropertyName("power")] public double Power { get; init; } = 2.0 / 3.0;

    public void Validate(ConfigLocation at)
    {
        at["decay"].InRange(Decay, 0, 1);
        at["min_decay"].InRange(MinDecay, 0, 1);
        at["update_after_step"].InRange(UpdateAfterStep, 0);
        at["inv_gamma"].InRange(InvGamma, 1e-12);
        at["power"].InRange(Power, 1e-12);
    }
}
