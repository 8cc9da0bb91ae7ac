using System.Globalization;
using System.Text;

namespace UnimoG.Text.Tokenizers;

/// <summary>
/// Python's view of Unicode, where it differs from .NET's, for tokenizers whose reference is Python code:
/// <c>unicodedata.category</c> as of Python 3.11 (Unicode 14.0), <c>str.lower()</c> (full mapping of U+0130,
/// the Final_Sigma rule) and <c>str.isspace()</c>. Everything else (simple lower-case mappings, categories of
/// characters assigned by 14.0, NFC) agrees with .NET 10 on every code point (checked exhaustively).
/// </summary>
internal static class PythonUnicode
{
    // Code points that .NET 10 (Unicode 16.0) assigns but Unicode 14.0 (Python 3.11's unicodedata) does not:
    // Python calls them Cn, which Hugging Face's clean-up drops as control characters. Inclusive pairs, sorted.
    private static readonly int[] AssignedAfter14 =
    [
        0x0897, 0x0897, 0x0CF3, 0x0CF3, 0x0ECE, 0x0ECE, 0x1B4E, 0x1B4F,
        0x1B7F, 0x1B7F, 0x1C89, 0x1C8A, 0x2427, 0x2429, 0x2FFC, 0x2FFF,
        0x31E4, 0x31E5, 0x31EF, 0x31EF, 0xA7CB, 0xA7CD, 0xA7DA, 0xA7DC,
        0x105C0, 0x105F3, 0x10D40, 0x10D65, 0x10D69, 0x10D85, 0x10D8E, 0x10D8F,
        0x10EC2, 0x10EC4, 0x10EFC, 0x10EFF, 0x1123F, 0x11241, 0x11380, 0x11389,
        0x1138B, 0x1138B, 0x1138E, 0x1138E, 0x11390, 0x113B5, 0x113B7, 0x113C0,
        0x113C2, 0x113C2, 0x113C5, 0x113C5, 0x113C7, 0x113CA, 0x113CC, 0x113D5,
        0x113D7, 0x113D8, 0x113E1, 0x113E2, 0x116D0, 0x116E3, 0x11B00, 0x11B09,
        0x11BC0, 0x11BE1, 0x11BF0, 0x11BF9, 0x11F00, 0x11F10, 0x11F12, 0x11F3A,
        0x11F3E, 0x11F5A, 0x1342F, 0x1342F, 0x13439, 0x13455, 0x13460, 0x143FA,
        0x16100, 0x16139, 0x16D40, 0x16D79, 0x18CFF, 0x18CFF, 0x1B132, 0x1B132,
        0x1B155, 0x1B155, 0x1CC00, 0x1CCF9, 0x1CD00, 0x1CEB3, 0x1D2C0, 0x1D2D3,
        0x1DF25, 0x1DF2A, 0x1E030, 0x1E06D, 0x1E08F, 0x1E08F, 0x1E4D0, 0x1E4F9,
        0x1E5D0, 0x1E5FA, 0x1E5FF, 0x1E5FF, 0x1F6DC, 0x1F6DC, 0x1F774, 0x1F776,
        0x1F77B, 0x1F77F, 0x1F7D9, 0x1F7D9, 0x1F8B2, 0x1F8BB, 0x1F8C0, 0x1F8C1,
        0x1FA75, 0x1FA77, 0x1FA87, 0x1FA89, 0x1FA8F, 0x1FA8F, 0x1FAAD, 0x1FAAF,
        0x1FABB, 0x1FABF, 0x1FAC6, 0x1FAC6, 0x1FACE, 0x1FACF, 0x1FADA, 0x1FADC,
        0x1FADF, 0x1FADF, 0x1FAE8, 0x1FAE9, 0x1FAF7, 0x1FAF8, 0x1FBCB, 0x1FBEF,
        0x2B739, 0x2B739, 0x2EBF0, 0x2EE5D, 0x31350, 0x323AF,
    ];

    /// <summary>The general category as Python 3.11's <c>unicodedata.category</c> reports it.</summary>
    public static UnicodeCategory Category(int codePoint)
    {
        if (codePoint is >= 0xD800 and <= 0xDFFF)
            return UnicodeCategory.Surrogate;
        if (IsAssignedAfter14(codePoint))
            return UnicodeCategory.OtherNotAssigned;
        if (codePoint == 0x1171E)
            return UnicodeCategory.NonSpacingMark; // Ahom medial ra: Mn until Unicode 15.0 made it Mc
        return Rune.GetUnicodeCategory(new Rune(codePoint));
    }

    private static bool IsAssignedAfter14(int cp)
    {
        if (cp < AssignedAfter14[0]) return false;
        int lo = 0, hi = AssignedAfter14.Length / 2 - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (cp < AssignedAfter14[2 * mid]) hi = mid - 1;
            else if (cp > AssignedAfter14[2 * mid + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }

    /// <summary>Python's <c>str.isspace()</c> for one code point (includes \x1c-\x1f and \x85, unlike \s in .NET).</summary>
    public static bool IsSpace(int cp) => cp switch
    {
        >= 0x09 and <= 0x0D or >= 0x1C and <= 0x20 or 0x85 or 0xA0 or 0x1680 => true,
        >= 0x2000 and <= 0x200A or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    /// <summary>
    /// Python's <c>str.lower()</c>: per code point simple lower-casing (surrogate pairs included), except
    /// U+0130 -> "i\u0307" and capital sigma -> final sigma at the end of a word (Unicode's Final_Sigma).
    /// </summary>
    public static string Lower(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length;)
        {
            int cp = CodePointAt(text, i, out int width);
            if (cp == 0x130)
                sb.Append("i\u0307");
            else if (cp == 0x3A3)
                sb.Append(IsFinalSigma(text, i, width) ? 'ς' : 'σ');
            else if (cp is >= 0xD800 and <= 0xDFFF || IsAssignedAfter14(cp))
                sb.Append(text, i, width); // lone surrogates and (to Python 3.11) unassigned code points stay
            else
                sb.Append(Rune.ToLowerInvariant(new Rune(cp)));
            i += width;
        }
        return sb.ToString();
    }

    // \p{cased}\p{case-ignorable}* SIGMA !(\p{case-ignorable}*\p{cased}), as CPython's handle_capital_sigma.
    private static bool IsFinalSigma(string text, int index, int width)
    {
        int j = index, cp = 0;
        bool found = false;
        while (j > 0)
        {
            cp = CodePointBefore(text, j, out int w);
            j -= w;
            if (!IsCaseIgnorable(cp)) { found = true; break; }
        }
        if (!found || !IsCased(cp))
            return false;
        for (j = index + width; j < text.Length;)
        {
            cp = CodePointAt(text, j, out int w);
            j += w;
            if (!IsCaseIgnorable(cp))
                return !IsCased(cp);
        }
        return true;
    }

    /// <summary>Unicode's derived property Cased: Lu, Ll, Lt, Other_Lowercase, Other_Uppercase.</summary>
    public static bool IsCased(int cp)
    {
        var cat = Category(cp);
        if (cat is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter)
            return true;
        return cp switch
        {
            // Other_Lowercase (Unicode 14.0)
            0xAA or 0xBA or >= 0x2B0 and <= 0x2B8 or 0x2C0 or 0x2C1 or >= 0x2E0 and <= 0x2E4 or 0x345 or 0x37A => true,
            0x10FC or >= 0x1D2C and <= 0x1D6A or 0x1D78 or >= 0x1D9B and <= 0x1DBF or 0x2071 or 0x207F => true,
            >= 0x2090 and <= 0x209C or >= 0x2170 and <= 0x217F or >= 0x24D0 and <= 0x24E9 or 0x2C7C or 0x2C7D => true,
            0xA69C or 0xA69D or 0xA770 or 0xA7F8 or 0xA7F9 or >= 0xAB5C and <= 0xAB5F or 0xAB69 => true,
            0x10780 or >= 0x10783 and <= 0x10785 or >= 0x10787 and <= 0x107B0 or >= 0x107B2 and <= 0x107BA => true,
            // Other_Uppercase
            >= 0x2160 and <= 0x216F or >= 0x24B6 and <= 0x24CF => true,
            >= 0x1F130 and <= 0x1F149 or >= 0x1F150 and <= 0x1F169 or >= 0x1F170 and <= 0x1F189 => true,
            _ => false,
        };
    }

    /// <summary>Unicode's derived property Case_Ignorable: Mn, Me, Cf, Lm, Sk and the word-break mid-letters.</summary>
    public static bool IsCaseIgnorable(int cp)
    {
        var cat = Category(cp);
        if (cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol)
            return true;
        // Word_Break = MidLetter, MidNumLet or Single_Quote
        return cp is 0x27 or 0x2E or 0x3A or 0xB7 or 0x387 or 0x55F or 0x5F4 or 0x2018 or 0x2019 or 0x2024
            or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
    }

    /// <summary>The code point at <paramref name="index"/> (a lone surrogate is returned as itself).</summary>
    public static int CodePointAt(string s, int index, out int width)
    {
        char c = s[index];
        if (char.IsHighSurrogate(c) && index + 1 < s.Length && char.IsLowSurrogate(s[index + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(c, s[index + 1]);
        }
        width = 1;
        return c;
    }

    private static int CodePointBefore(string s, int end, out int width)
    {
        char c = s[end - 1];
        if (char.IsLowSurrogate(c) && end >= 2 && char.IsHighSurrogate(s[end - 2]))
        {
            width = 2;
            return char.ConvertToUtf32(s[end - 2], c);
        }
        width = 1;
        return c;
    }
}
