using UnimoG.TestSupport;
using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Engines.DataPrep.Grounding;
using UnimoG.Imaging;

namespace UnimoG.DataPrep.Tests;

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

    private static void AssertBox(BoxXyxy expected, BoxXyxy actual, float tolerance) =>
        TensorAssert.Close([expected.X0, expected.Y0, expected.X1, expected.Y1], [actual.X0, actual.Y0, actual.X1, actual.Y1],
            rtol: 0, atol: tolerance, what: $"box {actual} (x0, y0, x1, y1), expected {expected}");
}
