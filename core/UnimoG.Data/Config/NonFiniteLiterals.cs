using System.Text;

namespace UnimoG.Data.Config;

/// <summary>
/// Python's json writes non-finite floats as the bare words <c>NaN</c>, <c>Infinity</c> and <c>-Infinity</c>
/// (every DPM-Solver config diffusers saves has <c>"lambda_min_clipped": -Infinity</c>); JSON has no such tokens and
/// System.Text.Json stops at them. This quotes them outside strings and comments, so the file reads: a key we do not
/// use keeps the word as a string, a number property refuses it naming the key.
/// </summary>
internal static class NonFiniteLiterals
{
    public static readonly IReadOnlySet<string> Words = new HashSet<string>(StringComparer.Ordinal) { "NaN", "Infinity", "-Infinity" };

    public static string Quote(string json)
    {
        if (!json.Contains("NaN", StringComparison.Ordinal) && !json.Contains("Infinity", StringComparison.Ordinal)) return json;
        var sb = new StringBuilder(json.Length + 16);
        var i = 0;
        while (i < json.Length)
        {
            var end = SkipStringOrComment(json, i);
            if (end > i)
            {
                sb.Append(json, i, end - i);
                i = end;
                continue;
            }
            var word = Words.FirstOrDefault(w => string.CompareOrdinal(json, i, w, 0, w.Length) == 0 && Bounded(json, i, w.Length));
            if (word is null)
            {
                sb.Append(json[i++]);
                continue;
            }
            sb.Append('"').Append(word).Append('"');
            i += word.Length;
        }
        return sb.ToString();
    }

    /// <summary>The index after the string or comment starting at <paramref name="i"/>, or <paramref name="i"/> if none does.</summary>
    private static int SkipStringOrComment(string s, int i)
    {
        if (s[i] == '"')
        {
            var j = i + 1;
            while (j < s.Length && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
            return Math.Min(j + 1, s.Length);
        }
        if (s[i] != '/' || i + 1 >= s.Length) return i;
        if (s[i + 1] == '/')
        {
            var nl = s.IndexOf('\n', i);
            return nl < 0 ? s.Length : nl;
        }
        if (s[i + 1] == '*')
        {
            var close = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
            return close < 0 ? s.Length : close + 2;
        }
        return i;
    }

    // A whole word: not part of a longer identifier or number (e.g. "NaNx", "1Infinity").
    private static bool Bounded(string s, int start, int length) =>
        (start == 0 || !char.IsLetterOrDigit(s[start - 1])) && (start + length >= s.Length || !char.IsLetterOrDigit(s[start + length]));
}
