using UnimoG.Imaging;

namespace UnimoG.Text.Prompts;

/// <summary>One part of a prompt as a caller supplies it, before validation.</summary>
public abstract record PromptInput
{
    private PromptInput() { }

    /// <summary>Text (Chinese, English, anything).</summary>
    public sealed record Text(string Value) : PromptInput;

    /// <summary>An encoded image file (PNG, JPEG, WebP, GIF).</summary>
    public sealed record Image(byte[] Bytes) : PromptInput;

    /// <summary>An image already in memory (e.g. an entity segment cut out by data preparation).</summary>
    public sealed record Pixels(DecodedImage Value) : PromptInput;
}
