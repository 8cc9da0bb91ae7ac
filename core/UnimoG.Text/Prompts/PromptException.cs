using UnimoG.Imaging;

namespace UnimoG.Text.Prompts;

/// <summary>What is wrong with a prompt.</summary>
public enum PromptError
{
    /// <summary>No text and no image.</summary>
    Empty,
    /// <summary>Both forms given (parts and text with images), or a part that is neither text nor image.</summary>
    Malformed,
    /// <summary>A placeholder names an image that was not supplied (<c>&lt;img3&gt;</c> with two images).</summary>
    MissingImage,
    /// <summary>A placeholder that is not <c>&lt;imgN&gt;</c> with N = 1, 2, ... (no number, 0, leading zero).</summary>
    BadPlaceholder,
    /// <summary>A supplied image that no placeholder refers to.</summary>
    UnusedImage,
    /// <summary>More images than <see cref="PromptOptions.MaxImages"/>.</summary>
    TooManyImages,
    /// <summary>An image that cannot be decoded (see <see cref="PromptException.ImageError"/>).</summary>
    BadImage,
    /// <summary>Text that is not valid Unicode (a lone surrogate).</summary>
    BadText,
}

/// <summary>
/// A prompt the user got wrong, naming the field as the contract spells it (<c>text</c>, <c>images[2]</c>,
/// <c>parts[3].image</c>) and, for text, the character offset of the fault: the gRPC layer maps it to
/// InvalidArgument with the field named.
/// </summary>
public sealed class PromptException(PromptError code, string field, int? position, string message, Exception? inner = null)
    : Exception(position is { } p ? $"{field} (offset {p}): {message}" : $"{ImageNumbers.Named(field)}: {message}", inner)
{
    public PromptError Code { get; } = code;
    /// <summary>The offending field: <c>text</c>, <c>images</c>, <c>images[i]</c>, <c>parts</c>, <c>parts[i].text</c>, <c>parts[i].image</c>.</summary>
    public string Field { get; } = field;
    /// <summary>Character offset (UTF-16 index) in the field's text, when the fault is inside a text.</summary>
    public int? Position { get; } = position;
    /// <summary>The decoder's reason when <see cref="Code"/> is <see cref="PromptError.BadImage"/>.</summary>
    public ImageDecodeError? ImageError => (InnerException as ImageDecodeException)?.Reason;
}

/// <summary>
/// Messages name an image both ways: its field, numbered from 0 as protobuf's repeated fields are
/// (<c>prompt.images[1]</c>), and its placeholder, numbered from 1 as prompts write it (<c>&lt;img2&gt;</c>).
/// </summary>
public static class ImageNumbers
{
    private static readonly System.Text.RegularExpressions.Regex ImageField = new(@"(?:^|\.)images\[(\d+)\]$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary><c>prompt.images[1]</c> becomes <c>prompt.images[1] (&lt;img2&gt;)</c>; any other field is unchanged.</summary>
    public static string Named(string field) =>
        ImageField.Match(field) is { Success: true } m && int.TryParse(m.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture, out var i)
            ? $"{field} (<img{i + 1}>)" : field;
}
