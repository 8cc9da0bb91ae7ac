using System.Globalization;
using Microsoft.ML.Tokenizers;

namespace UnimoG.Text.Tokenizers;

/// <summary>
/// CLIP's word splitter, the regex
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// (case-insensitive, Python <c>regex</c>), written as a scanner over code points: .NET's Regex sees
/// surrogate halves, so it would miss letters and digits outside the BMP (U+1D400...).
/// Case-insensitivity follows simple case folding, where "ſ" (U+017F) matches "s".
/// </summary>
internal sealed class ClipPreTokenizer : PreTokenizer
{
    private static readonly string[] Specials = ["<|startoftext|>", "<|endoftext|>"];
    private static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    public static readonly ClipPreTokenizer Instance = new();

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => Split(text);

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text.ToString());

    /// <summary>The (offset, length) of each word, in UTF-16 units.</summary>
    public static List<(int Offset, int Length)> Split(string text)
    {
        var words = new List<(int, int)>();
        int i = 0;
        while (i < text.Length)
        {
            int len = MatchAt(text, i);
            if (len > 0)
            {
                words.Add((i, len));
                i += len;
            }
            else
            {
                PythonUnicode.CodePointAt(text, i, out int width); // whitespace: no alternative matches
                i += width;
            }
        }
        return words;
    }

    // Alternatives in the regex's order; the first that matches at i wins (Python regex semantics).
    private static int MatchAt(string text, int i)
    {
        foreach (var literal in Specials)
            if (MatchesFolded(text, i, literal)) return literal.Length;
        if (text[i] == '\'')
            foreach (var literal in Contractions)
                if (MatchesFolded(text, i, literal)) return literal.Length;

        int cp = PythonUnicode.CodePointAt(text, i, out int width);
        var kind = Classify(cp);
        if (kind == CharKind.Number) return width;
        if (kind == CharKind.Space) return 0;
        int j = i + width;
        while (j < text.Length)
        {
            int next = PythonUnicode.CodePointAt(text, j, out int w);
            if (Classify(next) != kind) break;
            j += w;
        }
        return j - i; // a run of letters, or a run of "other" (neither space, letter nor number)
    }

    private enum CharKind { Letter, Number, Space, Other }

    private static CharKind Classify(int cp)
    {
        if (PythonUnicode.IsSpace(cp)) return CharKind.Space;
        return PythonUnicode.Category(cp) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharKind.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharKind.Number,
            _ => CharKind.Other,
        };
    }

    // Lower-case ASCII literal against text under simple case folding (s ~ S ~ ſ, k ~ K ~ Kelvin sign).
    private static bool MatchesFolded(string text, int at, string literal)
    {
        if (at + literal.Length > text.Length) return false;
        for (int k = 0; k < literal.Length; k++)
        {
            char c = text[at + k], p = literal[k];
            bool same = c == p || (char.IsAsciiLetterLower(p) && c == char.ToUpperInvariant(p))
                || (p == 's' && c == '\u017F') || (p == 'k' && c == '\u212A');
            if (!same) return false;
        }
        return true;
    }
}
