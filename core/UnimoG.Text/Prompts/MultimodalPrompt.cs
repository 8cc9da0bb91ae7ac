using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace UnimoG.Text.Prompts;

/// <summary>A validated part: text, or the image at <c>Images[ImageIndex]</c>.</summary>
public abstract record PromptPart
{
    private PromptPart() { }
    public sealed record Text(string Value) : PromptPart;
    public sealed record Image(int ImageIndex) : PromptPart;
}

/// <summary>
/// A multimodal prompt: an ordered list of text and image parts, e.g. "&lt;img1&gt; wearing the clothes of
/// &lt;img2&gt;" or "&lt;img1&gt;穿着&lt;img2&gt;的衣服". Built from parts, or from text whose placeholders
/// <c>&lt;img1&gt;</c>..<c>&lt;imgN&gt;</c> (1-based, case-insensitive) refer to a list of images; both give
/// the same parts. Construction validates everything (see <see cref="PromptError"/>), decodes every image
/// and normalises the text (NFC, line endings to \n, adjacent texts joined, empty texts dropped), so equal
/// prompts have equal <see cref="ContentKey"/>s. A placeholder may appear twice (the same image twice).
/// </summary>
public sealed partial class MultimodalPrompt
{
    public IReadOnlyList<PromptPart> Parts { get; }
    /// <summary>The images: in the order of their parts (parts form) or as supplied (text form).</summary>
    public IReadOnlyList<PromptImage> Images { get; }

    private MultimodalPrompt(List<PromptPart> parts, List<PromptImage> images)
    {
        Parts = parts;
        Images = images;
    }

    // [0-9], not \d: \d matches every Unicode digit ("<img１>", fullwidth), which int.Parse then refuses.
    [GeneratedRegex(@"<img([0-9]*)>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();

    /// <summary>From the contract's two forms: <paramref name="parts"/>, or <paramref name="text"/> with <paramref name="images"/>; not both.</summary>
    public static MultimodalPrompt Create(IReadOnlyList<PromptInput>? parts, string? text, IReadOnlyList<PromptInput>? images, PromptOptions? options = null)
    {
        bool hasParts = parts is { Count: > 0 }, hasText = !string.IsNullOrEmpty(text) || images is { Count: > 0 };
        if (hasParts && hasText)
            throw new PromptException(PromptError.Malformed, "text", null,
                "give either parts, or text with images, not both");
        return hasParts ? FromParts(parts!, options) : FromText(text ?? "", images ?? [], options);
    }

    /// <summary>From an ordered list of text and image parts.</summary>
    public static MultimodalPrompt FromParts(IReadOnlyList<PromptInput> parts, PromptOptions? options = null)
    {
        options ??= PromptOptions.Default;
        if (parts.Count == 0)
            throw new PromptException(PromptError.Empty, "parts", null, "the prompt is empty (no parts)");
        int imageCount = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            switch (parts[i])
            {
                case PromptInput.Text t:
                    CheckText(t.Value, $"parts[{i}].text");
                    if (Placeholder().Match(t.Value) is { Success: true } m)
                        throw new PromptException(PromptError.BadPlaceholder, $"parts[{i}].text", m.Index,
                            $"placeholder {m.Value} in a prompt given as parts: put the image in its own part");
                    break;
                case PromptInput.Image or PromptInput.Pixels:
                    if (++imageCount > options.MaxImages)
                        throw new PromptException(PromptError.TooManyImages, $"parts[{i}].image", null,
                            $"more than {options.MaxImages} images in one prompt");
                    break;
                default:
                    throw new PromptException(PromptError.Malformed, $"parts[{i}]", null, "a part must be text or an image");
            }
        }

        var builder = new Builder();
        for (int i = 0; i < parts.Count; i++)
        {
            if (parts[i] is PromptInput.Text t)
                builder.AddText(t.Value);
            else
                builder.AddImage(builder.Images.Count, ToImage(parts[i], options, $"parts[{i}].image"));
        }
        return builder.Build("parts");
    }

    /// <summary>From text with placeholders <c>&lt;img1&gt;</c>.. referring (1-based) to <paramref name="images"/>.</summary>
    public static MultimodalPrompt FromText(string text, IReadOnlyList<PromptInput> images, PromptOptions? options = null)
    {
        options ??= PromptOptions.Default;
        ArgumentNullException.ThrowIfNull(text);
        if (images.Count > options.MaxImages)
            throw new PromptException(PromptError.TooManyImages, $"images[{options.MaxImages}]", null,
                $"{images.Count} images given; at most {options.MaxImages} are allowed in one prompt");
        CheckText(text, "text");

        // Placeholders first (cheap), images after: a malformed prompt fails before any decoding.
        var matches = Placeholder().Matches(text);
        var used = new bool[images.Count];
        foreach (Match m in matches)
        {
            int n = PlaceholderNumber(m, "text", m.Index);
            if (n > images.Count)
                throw new PromptException(PromptError.MissingImage, "text", m.Index,
                    images.Count == 0 ? $"{m.Value} refers to an image, but no images were given"
                                      : $"{m.Value} refers to image {n}, but only {images.Count} were given");
            used[n - 1] = true;
        }
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i] is not (PromptInput.Image or PromptInput.Pixels))
                throw new PromptException(PromptError.Malformed, $"images[{i}]", null, "expected an image");
            if (!used[i])
                throw new PromptException(PromptError.UnusedImage, $"images[{i}]", null,
                    $"image {i + 1} is never referred to: write <img{i + 1}> where it belongs in the text");
        }

        var decoded = new PromptImage[images.Count];
        for (int i = 0; i < images.Count; i++)
            decoded[i] = ToImage(images[i], options, $"images[{i}]");

        var builder = new Builder();
        builder.Images.AddRange(decoded);
        int at = 0;
        foreach (Match m in matches)
        {
            builder.AddText(text[at..m.Index]);
            builder.AddImage(PlaceholderNumber(m, "text", m.Index) - 1, null);
            at = m.Index + m.Length;
        }
        builder.AddText(text[at..]);
        return builder.Build("text");
    }

    private static int PlaceholderNumber(Match m, string field, int offset)
    {
        var digits = m.Groups[1].Value;
        if (digits.Length == 0 || digits[0] == '0')
            throw new PromptException(PromptError.BadPlaceholder, field, offset,
                $"{m.Value} is not a placeholder: write <img1>, <img2>, ... (numbered from 1)");
        return digits.Length > 6 ? int.MaxValue : int.Parse(digits); // huge numbers are simply missing images
    }

    private static PromptImage ToImage(PromptInput input, PromptOptions options, string field) => input switch
    {
        PromptInput.Image image => PromptImage.Decode(image.Bytes, options.ImageLimits, field, options.Scaling),
        PromptInput.Pixels pixels => PromptImage.FromPixels(pixels.Value),
        _ => throw new PromptException(PromptError.Malformed, field, null, "expected an image"),
    };

    // Lone surrogates cannot be normalised or encoded as UTF-8 (and never come from a UTF-8 request).
    private static void CheckText(string text, string field)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i]))
                throw new PromptException(PromptError.BadText, field, i, $"lone surrogate U+{(int)text[i]:X4} (invalid Unicode)");
        }
    }

    /// <summary>Text normalised for encoding and cache keys: NFC, CR LF and CR as LF.</summary>
    public static string NormalizeText(string text)
    {
        text = text.Replace("\r\n", "\n").Replace('\r', '\n');
        // .NET refuses to normalise strings holding the noncharacter U+FFFE: normalise around it.
        return text.Contains('\uFFFE')
            ? string.Join('\uFFFE', text.Split('\uFFFE').Select(s => s.Normalize(NormalizationForm.FormC)))
            : text.Normalize(NormalizationForm.FormC);
    }

    /// <summary>
    /// Canonical text of the prompt, images written as <c>&lt;img:SHA256&gt;</c>: equal for prompts that
    /// encode the same whichever form they came in.
    /// </summary>
    public string NormalizedForm()
    {
        var sb = new StringBuilder();
        foreach (var part in Parts)
        {
            if (part is PromptPart.Text t)
                sb.Append('T').Append(t.Value.Length).Append(':').Append(t.Value);
            else if (part is PromptPart.Image im)
                sb.Append("I:").Append(Images[im.ImageIndex].Sha256);
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>SHA-256 (hex) of <see cref="NormalizedForm"/>, optionally scoped to a model id: the embedding cache key.</summary>
    public string ContentKey(string modelId = "")
    {
        var bytes = Encoding.UTF8.GetBytes($"unimog-prompt-v1\n{modelId}\n{NormalizedForm()}");
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>The prompt as placeholder text ("&lt;img1&gt; wearing &lt;img2&gt;"), for logs.</summary>
    public override string ToString() => string.Concat(Parts.Select(p => p switch
    {
        PromptPart.Text t => t.Value,
        PromptPart.Image im => $"<img{im.ImageIndex + 1}>",
        _ => "",
    }));

    private sealed class Builder
    {
        public readonly List<PromptPart> Parts = [];
        public readonly List<PromptImage> Images = [];
        private readonly StringBuilder _text = new();

        public void AddText(string text) => _text.Append(text);

        public void AddImage(int index, PromptImage? image)
        {
            FlushText();
            if (image is not null) Images.Add(image);
            Parts.Add(new PromptPart.Image(index));
        }

        private void FlushText()
        {
            if (_text.Length == 0) return;
            Parts.Add(new PromptPart.Text(NormalizeText(_text.ToString())));
            _text.Clear();
        }

        public MultimodalPrompt Build(string field)
        {
            FlushText();
            if (Images.Count == 0 && Parts.All(p => p is PromptPart.Text t && string.IsNullOrWhiteSpace(t.Value)))
                throw new PromptException(PromptError.Empty, field, null, "the prompt is empty: give some text or an image");
            return new MultimodalPrompt(Parts, Images);
        }
    }
}
