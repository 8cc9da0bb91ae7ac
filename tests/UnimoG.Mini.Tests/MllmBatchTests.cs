using TorchSharp;
using UnimoG.Mini.Mllm;

namespace UnimoG.Mini.Tests;

public class MllmBatchTests
{
    private static readonly byte[] Black = new byte[64 * 64 * 3];

    /// <summary>BOS 1; "&lt;Img&gt;" = [5, 6]; 3 visual tokens; cue "&lt;/Img&gt; name:" = [7]; answer [8, 9]; EOS 2.</summary>
    private static MllmSample Name() => new("name",
        [new TextPart([5, 6], false), new ImagePart(0), new TextPart([7], false), new TextPart([8, 9], true), new TextPart([2], true)],
        [Black], "1F436", ["1F436"]);

    /// <summary>A caption with one image inside: every text token supervised.</summary>
    private static MllmSample Interleaved() => new("interleaved",
        [new TextPart([11, 12], true), new ImagePart(0), new TextPart([13], true), new TextPart([2], true)], [Black], null, []);

    [Fact]
    public void The_loss_reads_only_the_answer_of_a_name_sample()
    {
        var (ids, labels, visual) = MllmBatch.Layout(Name(), tokensPerImage: 3, bosId: 1);
        Assert.Equal([1L, 5, 6, 0, 0, 0, 7, 8, 9, 2], ids);
        Assert.Equal([-100L, -100, -100, -100, -100, -100, -100, 8, 9, 2], labels);
        Assert.Equal([3, 4, 5], visual);
    }

    [Fact]
    public void Visual_positions_and_padding_are_never_supervised()
    {
        using var batch = MllmBatch.Collate([Name(), Interleaved()], tokensPerImage: 3, bosId: 1);
        // Row 1: BOS, 11, 12, v, v, v, 13, EOS then padding to length 10.
        Assert.Equal(new long[] { 1, 11, 12, 0, 0, 0, 13, 2, 0, 0 }, batch.InputIds[1].data<long>().ToArray());
        Assert.Equal(new long[] { -100, 11, 12, -100, -100, -100, 13, 2, -100, -100 }, batch.Labels[1].data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, batch.AttentionMask[1].data<long>().ToArray());
        // Flat positions b * L + t in image order: row 0's image at 3..5, row 1's at 10 + 3..5.
        Assert.Equal(new long[] { 3, 4, 5, 13, 14, 15 }, batch.VisualPositions.data<long>().ToArray());
        Assert.Equal(2, batch.ImageCount);
        Assert.Equal(new long[] { 2, 3, 64, 64 }, batch.Pixels.shape);
    }

    [Fact]
    public void Loss_is_the_mean_cross_entropy_over_supervised_next_tokens()
    {
        // One row of length 4, vocabulary 3: labels [-100, 2, -100, 1]. Position t predicts label t + 1, so the loss
        // averages CE(logits[0], 2) and CE(logits[2], 1); logits[1] and logits[3] must not matter.
        using var labels = torch.tensor(new long[] { -100, 2, -100, 1 }).view(1, 4);
        using var logits = torch.tensor(new float[] { 0, 0, 1, 9, 9, 9, 2, 0, 0, -9, 5, 5 }).view(1, 4, 3);
        using var loss = MllmBatch.Loss(logits, labels);
        var ce0 = -Math.Log(Math.Exp(1) / (1 + 1 + Math.Exp(1)));
        var ce2 = -Math.Log(1 / (Math.Exp(2) + 1 + 1));
        Assert.Equal((ce0 + ce2) / 2, loss.item<float>(), 5);
    }
}
