using UnimoG.Text.Prompts;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Engines;

/// <summary>The contract's <c>Prompt</c> to a validated <see cref="MultimodalPrompt"/>.</summary>
public static class PromptConversion
{
    /// <summary>
    /// Refuses a prompt whose text (the <c>text</c> field and every text part) is longer than <paramref name="maxChars"/>,
    /// before anything is tokenized or decoded; the message names the field and the setting <paramref name="key"/>.
    /// </summary>
    public static void CheckLength(V1.Prompt? prompt, int maxChars, string key, string field = "prompt")
    {
        if (prompt is null) return;
        var chars = prompt.Text.Length + prompt.Parts.Where(p => p.KindCase == V1.PromptPart.KindOneofCase.Text).Sum(p => p.Text.Length);
        if (chars > maxChars)
            throw new InvalidFieldException(prompt.Parts.Count > 0 ? $"{field}.parts" : $"{field}.text", $"{chars} characters; at most {maxChars} are allowed ({key})");
    }

    /// <summary>
    /// Validates and decodes <paramref name="prompt"/>: images inline or by SHA-256 from <paramref name="store"/>.
    /// Any fault is an <see cref="InvalidFieldException"/> whose field starts with <paramref name="field"/>
    /// (<c>prompt.images[1]: The PNG image is 20000x20000: ...</c>).
    /// </summary>
    public static MultimodalPrompt ToMultimodal(V1.Prompt? prompt, PromptOptions options, ImageStore? store, string field = "prompt")
    {
        prompt ??= new V1.Prompt();
        try
        {
            var parts = prompt.Parts.Select((p, i) => p.KindCase switch
            {
                V1.PromptPart.KindOneofCase.Text => (PromptInput)new PromptInput.Text(p.Text),
                V1.PromptPart.KindOneofCase.Image => Image(p.Image, store, $"parts[{i}].image"),
                _ => throw new PromptException(PromptError.Malformed, $"parts[{i}]", null, "a part must be text or an image"),
            }).ToList();
            var images = prompt.Images.Select((im, i) => Image(im, store, $"images[{i}]")).ToList();
            return MultimodalPrompt.Create(parts, prompt.Text, images, options);
        }
        catch (PromptException e)
        {
            throw new InvalidFieldException($"{field}.{e.Field}", e.Message[(e.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..]
                .Insert(0, e.Position is { } p ? $"(offset {p}) " : ""));
        }
    }

    private static PromptInput Image(V1.ImageInput image, ImageStore? store, string field)
    {
        if (image.SourceCase != V1.ImageInput.SourceOneofCase.Sha256) return new PromptInput.Image(image.Data.ToByteArray());
        if (store is not null && store.TryGet(image.Sha256, out var bytes)) return new PromptInput.Image(bytes);
        throw new PromptException(PromptError.BadImage, field + ".sha256", null,
            $"no uploaded image has SHA-256 {Echo.Of(image.Sha256)}: upload it first (UploadImage), or send its bytes");
    }
}
