using System.IO.Compression;
using System.Text;
using System.Text.Json;
using UnimoG.Text.Tokenizers;

namespace UnimoG.Modeling.Tests.Text;

public class ClipTextTests
{
    [Theory]
    [InlineData("Hello   World", "hello world")]
    [InlineData("a\u001cb\u001fc\u0085d", "abcd")] // C0/C1 controls are dropped (Python would call them spaces)
    [InlineData("a\u2028b\u2029c", "a b c")]        // line/paragraph separators split words
    [InlineData("a\u00a0b\u3000c\tb", "a b c b")]  // Zs and tabs are spaces
    [InlineData("一个boy", "一 个 boy")]            // CJK ideographs become words
    [InlineData("かな한국", "かな한국")]              // kana and Hangul do not
    [InlineData("Cafe\u0301", "café")]              // NFC
    [InlineData("İSTANBUL", "i\u0307stanbul")]      // Python's full lower-case mapping
    [InlineData("ΟΔΟΣ ΣΑΣ.", "οδος σας.")]         // final sigma, also before case-ignorable punctuation
    [InlineData("\U00010400\U00010401", "\U00010428\U00010429")] // Deseret: outside the BMP
    [InlineData("zero\u200bwidth \ufeffbom", "zerowidth bom")]
    public void Cleans_text_like_transformers_without_ftfy(string input, string expected) =>
        Assert.Equal(expected, ClipTextCleaner.Clean(input));

    [Fact]
    public void Words_and_digits_outside_the_BMP_are_matched_by_code_point()
    {
        // U+1D400..: mathematical bold letters (one word); U+1D7CE..: bold digits (one token each).
        var words = ClipPreTokenizer.Split("\U0001D400\U0001D401\U0001D402 \U0001D7CE\U0001D7CF");
        Assert.Equal([(0, 6), (7, 2), (9, 2)], words);
    }

    [Fact]
    public void Contractions_follow_the_regex_including_case_folding()
    {
        string text = "it's don't we're 'ſ";
        var words = ClipPreTokenizer.Split(text).Select(w => text.Substring(w.Offset, w.Length));
        Assert.Equal(["it", "'s", "don", "'t", "we", "'re", "'ſ"], words);
    }
}
