using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>A phase's training data (<c>phases[i].data</c>).</summary>
public sealed record DataSettings : IValidatedConfig
{
    [JsonPropertyName("kind")] public string Kind { get; init; } = "emojiworld";   // emojiworld | prepared
    [JsonPropertyName("path")] public string Path { get; init; } = "";
    /// <summary>EmojiWorld caption: <c>en</c> (caption_en), <c>zh</c> (caption_zh), <c>en+zh</c> (both, as two samples) or <c>txt</c> ({key}.txt).</summary>
    [JsonPropertyName("caption")] public string Caption { get; init; } = "en";
    /// <summary>Prepared (stage-2) data: share of samples trained on their plain caption.</summary>
    [JsonPropertyName("text_only_share")] public double TextOnlyShare { get; init; } = 0.1;
    /// <summary>Use only the first N samples (0 = all).</summary>
    [JsonPropertyName("limit")] public int Limit { get; init; }

    public void Validate(ConfigLocation at)
    {
        at["kind"].OneOf(Kind, "emojiworld", "prepared");
        if (Path.Length == 0) throw at["path"].Error("is required");
        at["caption"].OneOf(Caption, "en", "zh", "en+zh", "txt");
        at["text_only_share"].InRange(TextOnlyShare, 0, 1);
        at["limit"].InRange(Limit, 0);
    }
}
