using System.Text.Json;
using UnimoG.Text.Tokenizers;
using UnimoG.TestSupport;

namespace UnimoG.Modeling.Tests.Text;

/// <summary>
/// SentencePiece models with USER_DEFINED pieces (the mini model's &lt;Img&gt; and &lt;/Img&gt;): SentencePiece matches
/// them whole and never merges them; ids compared with Python's sentencepiece 0.1.97 (tests/data/mini-tokenizer).
/// </summary>
public class UserDefinedPieceTests
{
    private static readonly string Folder = Path.Combine(RepoPaths.Root, "tests", "data", "mini-tokenizer");
    private static readonly LlamaSentencePieceTokenizer Mini = TextTokenizers.LoadLlama(Path.Combine(Folder, "tokenizer.model"));

    public static IEnumerable<object[]> Cases() =>
        File.ReadLines(Path.Combine(Folder, "cases.tsv")).Where(l => !l.StartsWith('#')).Select(l => l.Split('\t'))
            .Select(c => new object[] { JsonSerializer.Deserialize<string>(c[0])!, c[1].Split(' ').Select(int.Parse).ToArray(), JsonSerializer.Deserialize<string>(c[2])! });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ids_and_decoded_text_equal_sentencepieces(string text, int[] ids, string decoded)
    {
        Assert.Equal(ids, Mini.Encode(text));
        Assert.Equal(decoded, Mini.Decode(ids));
    }

    [Fact]
    public void Markers_are_single_pieces_cut_out_before_merging()
    {
        Assert.Equal([1, 1682, 3], Mini.Encode("<Img>"));                  // the dummy prefix stays a piece of its own
        Assert.Equal(Mini.Encode("a", addBos: false).Concat([1682, 3]), Mini.Encode("a <Img>", addBos: false));
        Assert.Equal("a <Img> b </Img>", Mini.Decode(Mini.Encode("a <Img> b </Img>")));
    }

    [Fact]
    public void A_model_without_user_defined_pieces_is_unchanged() =>
        Assert.Equal([1, 529, 25518, 29958], Tokenizers.Llama.Encode("<Img>"));  // LLaMA-2 (sentencepiece 0.1.97): "▁<", "Img", ">"
}
