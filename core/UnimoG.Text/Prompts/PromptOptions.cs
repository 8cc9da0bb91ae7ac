using UnimoG.Imaging;

namespace UnimoG.Text.Prompts;

/// <summary>Limits a prompt is validated against.</summary>
public sealed record PromptOptions
{
    /// <summary>Most images in one prompt (default 8).</summary>
    public int MaxImages { get; init; } = 8;

    /// <summary>Size limits for each image, checked before decoding.</summary>
    public ImageLimits ImageLimits { get; init; } = ImageLimits.Default;

    /// <summary>
    /// The size the images will be resized to (the encoder's image processor), so much larger ones are decoded scaled
    /// (<see cref="ScaledDecoding"/>); null decodes every image at full size.
    /// </summary>
    public ScaledDecoding? Scaling { get; init; }

    public static PromptOptions Default { get; } = new();
}
