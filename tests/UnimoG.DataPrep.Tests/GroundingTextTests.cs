using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Engines.DataPrep.Grounding;
using UnimoG.Imaging;

namespace UnimoG.DataPrep.Tests;

public class GroundingTextTests
{
    private static readonly GroundingTokenizer Tokenizer = new(TestData.Vocab);

    [Fact]
    public void Caption_tokens_match_the_reference_BERT_tokenizer_phrase_by_phrase_and_whole()
    {
        foreach (var c in TestData.Fixtures.GetProperty("bert").EnumerateArray())
        {
            var phrases = c.GetProperty("phrases").EnumerateArray().Select(p => p.GetString()!).ToList();
            var expected = c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()).ToArray();
            var text = Assert.Single(Tokenizer.Build(phrases));
            Assert.Equal(expected, text.InputIds);
            // Encoding the joined caption at once gives the same ids (so the phrase-by-phrase map is sound).
            var whole = Tokenizer.Bert.EncodeToIds(c.GetProperty("caption").GetString()!).Select(i => (long)i);
            Assert.Equal(expected, whole);
            // Tokens owned by phrase k are exactly the reference's tokens of phrase k.
            var perPhrase = c.GetProperty("phrase_ids").EnumerateArray().ToList();
            for (var k = 0; k < phrases.Count; k++)
            {
                var owned = text.InputIds.Where((_, t) => text.TokenPhrase[t] == k).ToArray();
                Assert.Equal(perPhrase[k].EnumerateArray().Select(i => i.GetInt64()).ToArray(), owned);
            }
        }
    }

    [Fact]
    public void Attention_blocks_and_position_ids_match_GroundingDINO()
    {
        var special = new HashSet<long> { 2, 3, 5, 6 }; // [CLS], [SEP], ".", "?" in vocab.txt
        var count = 0;
        foreach (var c in TestData.Fixtures.GetProperty("grounding_masks").EnumerateArray())
        {
            var ids = c.GetProperty("input_ids").EnumerateArray().Select(i => i.GetInt64()).ToArray();
            var (mask, positions) = GroundingTokenizer.SpecialTokenBlocks(ids, special);
            Assert.Equal(c.GetProperty("position_ids").EnumerateArray().Select(i => i.GetInt64()).ToArray(), positions);
            var expected = c.GetProperty("text_token_mask").EnumerateArray()
                .SelectMany(r => r.EnumerateArray().Select(v => v.GetInt32() == 1)).ToArray();
            Assert.Equal(expected, mask);
            count++;
        }
        Assert.Equal(7, count);
    }

    [Fact]
    public void Long_phrase_lists_are_split_into_captions_within_the_token_limit()
    {
        var small = new GroundingTokenizer(TestData.Vocab, maxTextLength: 12);
        var phrases = new[] { "red square", "blue ball", "dog", "teddy bear", "ice cream", "cat", "pizza" };
        var texts = small.Build(phrases);
        Assert.True(texts.Count > 1);
        Assert.All(texts, t => Assert.True(t.Length <= 12));
        Assert.Equal(Enumerable.Range(0, phrases.Length), texts.SelectMany(t => t.Phrases));
        Assert.Equal("red square . blue ball . dog .", texts[0].Caption);
    }

    [Fact]
    public void A_vocabulary_without_BERT_punctuation_is_refused()
    {
        using var tmp = new TestData.TempDir();
        var path = tmp.Sub("vocab.txt");
        File.WriteAllLines(path, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "dog"]);
        var e = Assert.Throws<InvalidDataException>(() => new GroundingTokenizer(path));
        Assert.Contains("\".\"", e.Message);
    }
}
