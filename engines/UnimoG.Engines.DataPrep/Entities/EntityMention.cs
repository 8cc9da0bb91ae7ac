using System.Text.Json;

namespace UnimoG.Engines.DataPrep.Entities;

/// <summary>
/// An entity named in the caption: its words, their span (UTF-16 offsets into the caption, end exclusive), the
/// phrase given to the grounding model (often the same words; metadata may give English words for a Chinese
/// caption), and a box when the input already knows it.
/// </summary>
public sealed record EntityMention(string Phrase, int Start, int End, string GroundingPhrase, BoxXyxy? Box = null);

/// <summary>A pixel box [x0, y0, x1, y1] in the image's upright pixel frame (x1, y1 exclusive edges).</summary>
public readonly record struct BoxXyxy(float X0, float Y0, float X1, float Y1)
{
    public float Width => X1 - X0;
    public float Height => Y1 - Y0;

    public BoxXyxy ClampTo(int width, int height) => new(
        Math.Clamp(X0, 0, width), Math.Clamp(Y0, 0, height), Math.Clamp(X1, 0, width), Math.Clamp(Y1, 0, height));

    public override string ToString() => $"[{X0:0.#}, {Y0:0.#}, {X1:0.#}, {Y1:0.#}]";
}

/// <summary>What an extractor is given for one sample.</summary>
public sealed record EntityRequest(string Key, string Caption, JsonElement? Metadata, byte[] ImageBytes);

/// <summary>The caption to use (possibly written by the MLLM) and its entities in caption order.</summary>
public sealed record EntityExtraction(string Caption, string CaptionSource, IReadOnlyList<EntityMention> Entities);

/// <summary>One way of finding the entities of a caption. Implementations are safe to call concurrently.</summary>
public interface IEntityExtractor
{
    /// <summary>Name used in the CLI and in the output (<c>metadata</c>, <c>rules-en</c>, <c>rules-zh</c>, <c>mllm</c>).</summary>
    string Name { get; }

    /// <summary>Finds the entities; throws <see cref="InvalidDataException"/> for bad input (recorded as the sample's error).</summary>
    ValueTask<EntityExtraction> ExtractAsync(EntityRequest request, CancellationToken cancellationToken);
}

/// <summary>Extractors that work on the caption text alone.</summary>
public abstract class RuleBasedExtractor : IEntityExtractor
{
    public abstract string Name { get; }

    /// <summary>Entity phrases with their spans, in caption order, without overlaps.</summary>
    public abstract IReadOnlyList<EntityMention> Extract(string caption);

    public ValueTask<EntityExtraction> ExtractAsync(EntityRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new EntityExtraction(request.Caption, "input", Extract(request.Caption)));
}

/// <summary>Text search helpers shared by the extractors.</summary>
internal static class CaptionSearch
{
    /// <summary>
    /// First case-insensitive occurrence of <paramref name="phrase"/> in <paramref name="caption"/> that starts at or
    /// after <paramref name="from"/>, does not overlap <paramref name="taken"/>, and (for letters and digits) is not
    /// part of a longer word. Returns -1 when there is none.
    /// </summary>
    public static int Find(string caption, string phrase, IReadOnlyList<(int Start, int End)> taken, int from = 0)
    {
        if (phrase.Length == 0)
            return -1;
        for (var i = caption.IndexOf(phrase, from, StringComparison.OrdinalIgnoreCase); i >= 0;
             i = i + 1 < caption.Length ? caption.IndexOf(phrase, i + 1, StringComparison.OrdinalIgnoreCase) : -1)
        {
            var end = i + phrase.Length;
            if (!WordBoundary(caption, i, end))
                continue;
            if (taken.Any(t => i < t.End && t.Start < end))
                continue;
            return i;
        }
        return -1;
    }

    /// <summary>Latin-like letters must not continue the word on either side; CJK text has no spaces, so it always passes.</summary>
    private static bool WordBoundary(string s, int start, int end)
    {
        static bool Spaced(char c) => char.IsLetterOrDigit(c) && !IsCjk(c);
        var before = start > 0 && Spaced(s[start - 1]) && Spaced(s[start]);
        var after = end < s.Length && Spaced(s[end]) && Spaced(s[end - 1]);
        return !before && !after;
    }

    public static bool IsCjk(char c) =>
        c is >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF' or >= '\uF900' and <= '\uFAFF'
            or >= '\u3040' and <= '\u30FF';

    public static bool HasCjk(string s) => s.Any(IsCjk);
}
