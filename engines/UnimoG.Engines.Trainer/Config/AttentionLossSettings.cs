using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>The visual-enhanced attention loss (<c>attention_loss</c>, stage 2). See docs/training.md for the exact aggregation.</summary>
public sealed record AttentionLossSettings : IValidatedConfig
{
    [JsonPropertyName("lambda")] public double Lambda { get; init; }
    /// <summary>Cross-attention layer names; null means every cross-attention layer at map side &lt;= MaxResolution.</summary>
    [JsonPropertyName("layers")] public IReadOnlyList<string>? Layers { get; init; }
    [JsonPropertyName("max_resolution")] public int? MaxResolution { get; init; }
    [JsonPropertyName("tokens")] public string Tokens { get; init; } = "sum";                 // sum | mean | max
    [JsonPropertyName("heads")] public string Heads { get; init; } = "mean";                  // mean | max
    [JsonPropertyName("mask_resize")] public string MaskResize { get; init; } = "area";       // area | bilinear | nearest
    [JsonPropertyName("layer_reduction")] public string LayerReduction { get; init; } = "mean"; // mean | sum

    public void Validate(ConfigLocation at)
    {
        at["lambda"].InRange(Lambda, 0);
        if (MaxResolution is { } r) at["max_resolution"].InRange(r, 1);
        at["tokens"].OneOf(Tokens, "sum", "mean", "max");
        at["heads"].OneOf(Heads, "mean", "max");
        at["mask_resize"].OneOf(MaskResize, "area", "bilinear", "nearest");
        at["layer_reduction"].OneOf(LayerReduction, "mean", "sum");
        if (Layers is not null && MaxResolution is not null)
            throw at["max_resolution"].Error("give either attention_loss.layers or attention_loss.max_resolution, not both");
    }
}
