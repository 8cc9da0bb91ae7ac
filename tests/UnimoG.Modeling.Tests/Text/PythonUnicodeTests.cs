using System.Globalization;
using System.Text.Json;
using UnimoG.Text.Tokenizers;
using UnimoG.TestSupport;

namespace UnimoG.Modeling.Tests.Text;

/// <summary>
/// PythonUnicode against Python 3.11's own tables for every code point (tests/data/tokenizers/python311_unicode.json,
/// made by make_python_unicode.py): catches a .NET or ICU update that changes categories or casing.
/// </summary>
public class PythonUnicodeTests
{
    private static readonly Lazy<JsonDocument> Table = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "data", "tokenizers", "python311_unicode.json"))));

    private static readonly Dictionary<string, UnicodeCategory> Names = new()
    {
        ["Lu"] = UnicodeCategory.UppercaseLetter, ["Ll"] = UnicodeCategory.LowercaseLetter, ["Lt"] = UnicodeCategory.TitlecaseLetter,
        ["Lm"] = UnicodeCategory.ModifierLetter, ["Lo"] = UnicodeCategory.OtherLetter, ["Mn"] = UnicodeCategory.NonSpacingMark,
        ["Mc"] = UnicodeCategory.SpacingCombiningMark, ["Me"] = UnicodeCategory.EnclosingMark, ["Nd"] = UnicodeCategory.DecimalDigitNumber,
        ["Nl"] = UnicodeCategory.LetterNumber, ["No"] = UnicodeCategory.OtherNumber, ["Zs"] = UnicodeCategory.SpaceSeparator,
        ["Zl"] = UnicodeCategory.LineSeparator, ["Zp"] = UnicodeCategory.ParagraphSeparator, ["Cc"] = UnicodeCategory.Control,
        ["Cf"] = UnicodeCategory.Format, ["Cs"] = UnicodeCategory.Surrogate, ["Co"] = UnicodeCategory.PrivateUse,
        ["Cn"] = UnicodeCategory.OtherNotAssigned, ["Pc"] = UnicodeCategory.ConnectorPunctuation, ["Pd"] = UnicodeCategory.DashPunctuation,
        ["Ps"] = UnicodeCategory.OpenPunctuation, ["Pe"] = UnicodeCategory.ClosePunctuation, ["Pi"] = UnicodeCategory.InitialQuotePunctuation,
        ["Pf"] = UnicodeCategory.FinalQuotePunctuation, ["Po"] = UnicodeCategory.OtherPunctuation, ["Sm"] = UnicodeCategory.MathSymbol,
        ["Sc"] = UnicodeCategory.CurrencySymbol, ["Sk"] = UnicodeCategory.ModifierSymbol, ["So"] = UnicodeCategory.OtherSymbol,
    };

    [Fact]
    public void Categories_are_pythons_for_every_code_point()
    {
        var runs = Table.Value.RootElement.GetProperty("categories").EnumerateArray()
            .Select(r => (Start: r[0].GetInt32(), Category: Names[r[1].GetString()!])).ToList();
        var wrong = new List<string>();
        for (int i = 0; i < runs.Count; i++)
        {
            int end = i + 1 < runs.Count ? runs[i + 1].Start : 0x110000;
            for (int cp = runs[i].Start; cp < end; cp++)
                if (PythonUnicode.Category(cp) != runs[i].Category && wrong.Count < 10)
                    wrong.Add($"U+{cp:X4}: {PythonUnicode.Category(cp)}, Python {runs[i].Category}");
        }
        Assert.Empty(wrong);
    }

    [Fact]
    public void Lower_case_is_pythons_for_every_code_point()
    {
        var mapped = Table.Value.RootElement.GetProperty("lower").EnumerateArray()
            .ToDictionary(r => r[0].GetInt32(), r => r[1].GetString()!);
        Assert.Equal("i\u0307", mapped[0x130]);
        var wrong = new List<string>();
        for (int cp = 0; cp < 0x110000; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF || cp == 0x3A3) continue; // sigma depends on context: below
            string ch = char.ConvertFromUtf32(cp);
            string expected = mapped.TryGetValue(cp, out var l) ? l : ch;
            if (PythonUnicode.Lower(ch) != expected && wrong.Count < 10) wrong.Add($"U+{cp:X4}");
        }
        Assert.Empty(wrong);
    }

    [Fact]
    public void Final_sigma_context_is_pythons_for_every_code_point()
    {
        var root = Table.Value.RootElement;
        var cased = root.GetProperty("sigma_cased").EnumerateArray().Select(e => e.GetInt32()).ToHashSet();
        var ignorable = root.GetProperty("sigma_ignorable").EnumerateArray().Select(e => e.GetInt32()).ToHashSet();
        var wrong = new List<string>();
        for (int cp = 0; cp < 0x110000; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            bool isIgnorable = PythonUnicode.IsCaseIgnorable(cp);
            bool isCased = !isIgnorable && PythonUnicode.IsCased(cp);
            if ((isCased != cased.Contains(cp) || isIgnorable != ignorable.Contains(cp)) && wrong.Count < 10)
                wrong.Add($"U+{cp:X4}");
        }
        Assert.Empty(wrong);
        Assert.Equal("ας. σ aς ασα i\u0307", PythonUnicode.Lower("ΑΣ. Σ aΣ ΑΣΑ İ")); // Python: 'ας. σ aς ασα i̇'
    }
}
