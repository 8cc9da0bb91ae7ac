using UnimoG.Imaging;

namespace UnimoG.Text.Prompts;

/// <summary>Limits a prompt is validated against.</summary>
public sealed record PromptOptions
{
    /// <summary>Most images in one prompt (default 8).</summary>
    public int MaxImages { get; init; } = 8;

    /// <summary>Size limits for each image, checked before decoding.</summary>
    public ImageLimits ImageLimits { get; init; } = ImageLimits.Default;

    public static PromptOptions Default { get; } = new();
}
