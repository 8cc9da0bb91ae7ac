using UnimoG.Text.Tokenizers;

namespace UnimoG.Modeling.Tests.Text;

public class LlamaTokenizerTests
{
    private static LlamaSentencePieceTokenizer Llama => Tokenizers.Llama;

    [Fact]
    public void Special_ids_are_llama2s()
    {
        Assert.Equal(1, Llama.BosId);
        Assert.Equal(2, Llama.EosId);
        Assert.Equal(0, Llama.UnkId);
        Assert.Null(Llama.PadId);
        Assert.Equal(32000, Llama.VocabularySize);
        Assert.True(Llama.Legacy);
        Assert.False(Tokenizers.LlamaNonLegacy.Legacy);
        Assert.Equal(0, Llama.WithPadId(0).PadId);
    }

    [Fact]
    public void Empty_text_is_BOS_alone() => Assert.Equal([1], Llama.Encode(""));

    [Fact]
    public void Special_tokens_in_text_become_their_ids()
    {
        Assert.Equal([1, 1], Llama.Encode("<s>"));
        Assert.Equal([1, 2], Llama.Encode("</s>"));
        Assert.Equal([1, 0], Llama.Encode("<unk>"));
        Assert.Equal([1, 1, 2], Llama.Encode("<s></s>"));
    }

    [Fact]
    public void Legacy_and_non_legacy_differ_after_a_special_token_as_transformers_documents()
    {
        // transformers' LlamaTokenizer docstring: "Hello <s>." -> legacy [1, 15043, 29871, 1, 869] ('▁.'),
        // legacy=False [1, 15043, 29871, 1, 29889] ('.').
        Assert.Equal([1, 15043, 29871, 1, 869], Llama.Encode("Hello <s>."));
        Assert.Equal([1, 15043, 29871, 1, 29889], Tokenizers.LlamaNonLegacy.Encode("Hello <s>."));
    }

    [Theory]
    // Ids from Python sentencepiece 0.1.97 + transformers' LlamaTokenizer logic; ML.Tokenizers 2.0.1 on its own
    // gives [1, 22172, 29871, 462, 3186] and [1, 921, 4419, 14633]: equal-score merges taken from the right.
    [InlineData(18, "hello", "world", new[] { 1, 22172, 462, 29871, 3186 })] // "▁"x16 (462), "▁", "▁world"
    [InlineData(0, "xxxxxxx", "", new[] { 1, 921, 14633, 4419 })]            // "▁x", "xxxx", "xx"
    public void Ties_between_equal_scores_go_to_the_leftmost_pair_as_in_SentencePiece(int spaces, string before, string after, int[] expected) =>
        Assert.Equal(expected, Llama.Encode(before + new string(' ', spaces) + after));

    [Fact]
    public void BOS_and_EOS_are_optional()
    {
        Assert.Equal([22172, 3186, 2], Llama.Encode("hello world", addBos: false, addEos: true));
    }

    [Fact]
    public void Decodes_back_to_the_text()
    {
        Assert.Equal("Hello world, 你好 🙂", Llama.Decode(Llama.Encode("Hello world, 你好 🙂")));
        Assert.Equal("a  b", Llama.Decode(Llama.Encode("a  b")));
        Assert.Throws<ArgumentOutOfRangeException>(() => Llama.Decode([32000]));
    }

    [Fact]
    public void Loads_from_a_folder_and_rejects_what_is_not_a_model()
    {
        var dir = Directory.CreateTempSubdirectory("unimog-llama-");
        try
        {
            Assert.Throws<FileNotFoundException>(() => TextTokenizers.LoadLlama(dir.FullName));
            File.Copy(Tokenizers.LlamaModel, Path.Combine(dir.FullName, "tokenizer.model"));
            Assert.Equal(Llama.Encode("a photo of a cat"), TextTokenizers.LoadLlama(dir.FullName).Encode("a photo of a cat"));
            var bad = Path.Combine(dir.FullName, "bad.model");
            File.WriteAllBytes(bad, [0xFF, 0xFF, 0xFF, 0x01, 0x02]);
            var ex = Assert.Throws<InvalidDataException>(() => TextTokenizers.LoadLlama(bad));
            Assert.Contains("bad.model", ex.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Mirroring_keeps_surrogate_pairs_whole()
    {
        Assert.Equal("c\U0001F642ba", MirroredSentencePiece.Reverse("ab\U0001F642c"));
        Assert.Equal("", MirroredSentencePiece.Reverse(""));
    }
}
