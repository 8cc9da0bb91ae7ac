using System.Globalization;
using System.Text;

namespace UnimoG.Text.Tokenizers;

/// <summary>
/// The text clean-up Hugging Face's CLIPTokenizer applies when ftfy is not installed (BERT's BasicTokenizer
/// with strip_accents=False and no punctuation split): control characters, NUL and U+FFFD dropped,
/// whitespace to spaces, spaces around CJK ideographs, NFC, split on whitespace, Python lower-case, joined
/// by single spaces. Python semantics throughout (see <see cref="PythonUnicode"/>).
/// </summary>
internal static class ClipTextCleaner
{
    public static string Clean(string text)
    {
        // 1. Drop controls, turn whitespace into spaces; 2. isolate CJK ideographs.
        var sb = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length;)
        {
            int cp = PythonUnicode.CodePointAt(text, i, out int width);
            var cat = PythonUnicode.Category(cp);
            bool whitespace = cp is ' ' or '\t' or '\n' or '\r' || cat == UnicodeCategory.SpaceSeparator;
            bool control = !whitespace && cat is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
            if (cp is 0 or 0xFFFD || control) { }
            else if (whitespace) sb.Append(' ');
            else if (IsCjkIdeograph(cp)) sb.Append(' ').Append(text, i, width).Append(' ');
            else sb.Append(text, i, width);
            i += width;
        }

        // 3. NFC (safe now: what .NET refuses to normalise, unassigned and lone surrogates, is gone).
        string nfc = sb.ToString().Normalize(NormalizationForm.FormC);

        // 4. Python's str.split() then lower-case each word (Final_Sigma looks only inside the word).
        var result = new StringBuilder(nfc.Length);
        int start = -1;
        for (int i = 0; i <= nfc.Length; i++)
        {
            bool boundary = i == nfc.Length || PythonUnicode.IsSpace(nfc[i]);
            if (!boundary && start < 0) start = i;
            else if (boundary && start >= 0)
            {
                if (result.Length > 0) result.Append(' ');
                result.Append(PythonUnicode.Lower(nfc[start..i]));
                start = -1;
            }
        }
        return result.ToString();
    }

    /// <summary>The CJK blocks BERT's BasicTokenizer surrounds with spaces (not kana, not Hangul).</summary>
    public static bool IsCjkIdeograph(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
