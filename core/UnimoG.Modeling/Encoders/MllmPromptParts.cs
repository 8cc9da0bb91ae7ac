using UnimoG.Text.Prompts;
using UnimoG.Modeling.Images;
using UnimoG.Text.Tokenizers;

namespace UnimoG.Modeling.Encoders;

/// <summary>Glue from a validated prompt and the real tokenizer to what <see cref="MllmEncoder"/> takes.</summary>
public static class MllmPromptParts
{
    /// <summary>
    /// The encoder's parts: texts as they are, each image as <c>pixel_values</c> [1, 3, H, W] from
    /// <paramref name="processor"/>, keyed by its SHA-256 (a repeated image is preprocessed once).
    /// </summary>
    public static List<MllmPart> ToMllmParts(this MultimodalPrompt prompt, ClipImageProcessor processor)
    {
        var images = new MllmImage?[prompt.Images.Count];
        var parts = new List<MllmPart>(prompt.Parts.Count);
        foreach (var part in prompt.Parts)
        {
            switch (part)
            {
                case PromptPart.Text t:
                    parts.Add(new MllmText(t.Value));
                    break;
                case PromptPart.Image im:
                    var image = prompt.Images[im.ImageIndex];
                    parts.Add(images[im.ImageIndex] ??= new MllmImage(processor.PixelValues([image.Pixels]), image.Sha256));
                    break;
            }
        }
        return parts;
    }

    /// <summary>The LLaMA tokenizer as the encoder uses it: each text segment without BOS (the encoder adds it once).</summary>
    public static ILlmTokenizer ForMllm(this LlamaSentencePieceTokenizer tokenizer) =>
        new DelegateTokenizer(text => tokenizer.Encode(text, addBos: false));
}
