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

public class GroundingDinoTests
{
    // Black 300x200 scene: a red square [30, 90) x [40, 100) and a blue bar [150, 270) x [20, 60).
    private static DecodedImage Scene() => TestData.Scene(300, 200, (30, 40, 90, 100, 255, 0, 0), (150, 20, 270, 60, 0, 0, 255));

    [Fact]
    public void Tiny_model_finds_each_coloured_phrase_at_its_pixels()
    {
        using var dino = new GroundingDino(TestData.GroundingModel, TestData.Vocab);
        var found = dino.Ground(Scene(), ["red square", "blue ball", "green circle"]);
        var red = Assert.IsType<GroundedBox>(found[0]);
        var blue = Assert.IsType<GroundedBox>(found[1]);
        Assert.Null(found[2]); // no green pixels: the green query answers -4 everywhere
        // The model sees the image 4x larger (800 x 1200); bilinear edges move the threshold by < 1/4 source pixel.
        AssertBox(new(30, 40, 90, 100), red.Box, 0.5f);
        AssertBox(new(150, 20, 270, 60), blue.Box, 0.5f);
        Assert.Equal(1 / (1 + MathF.Exp(-4)), red.Score, 4); // mean of sigmoid(+4) over the phrase's tokens
    }

    [Fact]
    public void Thresholds_are_honoured()
    {
        using var strictBox = new GroundingDino(TestData.GroundingModel, TestData.Vocab, new GroundingOptions { BoxThreshold = 0.99f });
        Assert.All(strictBox.Ground(Scene(), ["red square", "blue ball"]), Assert.Null);
        using var strictText = new GroundingDino(TestData.GroundingModel, TestData.Vocab, new GroundingOptions { TextThreshold = 0.99f });
        Assert.All(strictText.Ground(Scene(), ["red square", "blue ball"]), Assert.Null);
        // Query 3 (probability 0.12) passes a box threshold of 0.1 but names no phrase: the text threshold stops it.
        using var loose = new GroundingDino(TestData.GroundingModel, TestData.Vocab, new GroundingOptions { BoxThreshold = 0.1f });
        Assert.Null(loose.Ground(TestData.Scene(50, 50), ["red square"])[0]);
    }

    [Fact]
    public void Decode_assigns_each_query_to_its_best_phrase_and_keeps_the_best_query_per_phrase()
    {
        var tokenizer = new GroundingTokenizer(TestData.Vocab);
        var text = tokenizer.Build(["red square", "dog"])[0]; // [CLS] red square . dog . [SEP]
        Assert.Equal(7, text.Length);
        float[] L(params float[] v) => v;
        var logits = L(
            /* q0: red square */ 0, 3, 3, 0, -5, -5, 0,
            /* q1: dog, weaker */ 0, -5, -5, 0, 1, -5, 0,
            /* q2: dog, strong */ 0, -5, -5, 0, 5, -5, 0,
            /* q3: only "red" */ 0, 2, -9, 0, -9, -9, 0);
        var boxes = L(0.5f, 0.5f, 0.2f, 0.2f, 0.1f, 0.1f, 0.1f, 0.1f, 0.7f, 0.3f, 0.2f, 0.4f, 0.9f, 0.9f, 0.1f, 0.1f);
        var found = GroundingDino.Decode(logits, boxes, 4, text, 0.35f, 0.25f);
        Assert.Equal(2, found.Count);
        Assert.Equal(0, found[0].Phrase);
        Assert.Equal(new BoxXyxy(0.4f, 0.4f, 0.6f, 0.6f), found[0].Box);       // q0 (mean 0.95) beats q3 (mean 0.44)
        Assert.Equal(1, found[1].Phrase);
        Assert.Equal(0.6f, found[1].Box.X0, 5);                                   // q2: (0.7 - 0.1, ...)
        Assert.Equal(1 / (1 + MathF.Exp(-5)), found[1].Score, 5);
    }

    [Fact]
    public void A_model_without_the_grounding_inputs_is_refused_naming_the_input()
    {
        var e = Assert.Throws<InvalidDataException>(() => new GroundingDino(TestData.SamDecoder, TestData.Vocab));
        Assert.Contains("'img'", e.Message);
        Assert.Contains("tiny_sam_decoder.onnx", e.Message);
    }

    private static void AssertBox(BoxXyxy expected, BoxXyxy actual, float tolerance)
    {
        Assert.True(Math.Abs(expected.X0 - actual.X0) <= tolerance && Math.Abs(expected.Y0 - actual.Y0) <= tolerance
            && Math.Abs(expected.X1 - actual.X1) <= tolerance && Math.Abs(expected.Y1 - actual.Y1) <= tolerance,
            $"expected {expected}, got {actual}");
    }
}
