using UnimoG.Text.Prompts;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Sampling;

public class ConditioningTests
{
    [Fact]
    public void Concat_pads_the_shorter_sequence_and_masks_the_padding()
    {
        using var a = new Conditioning(ones(1, 2, 3), spans: [[new VisualSpan(0, 0, 1)]]);
        using var b = new Conditioning(full(2, 4, 3, 2f), tensor(new long[,] { { 1, 1, 1, 1 }, { 1, 1, 0, 0 } }));
        using var both = Conditioning.Concat(a, b);
        Assert.Equal([3L, 4, 3], both.HiddenStates.shape);
        Assert.Equal(new float[] { 1, 1, 0, 0 }, both.HiddenStates[0, .., 0].data<float>().ToArray());
        Assert.Equal(ScalarType.Int64, both.AttentionMask!.dtype);
        Assert.Equal(new long[] { 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0 }, both.AttentionMask.data<long>().ToArray());
        Assert.Equal(3, both.Spans.Count);
        Assert.Equal(new VisualSpan(0, 0, 1), Assert.Single(both.Spans[0]));
        Assert.Empty(both.Spans[1]);
    }

    [Fact]
    public void Equal_lengths_without_masks_stay_maskless()
    {
        using var a = new Conditioning(zeros(1, 3, 2));
        using var b = new Conditioning(ones(2, 3, 2));
        using var both = Conditioning.Concat(a, b);
        Assert.Null(both.AttentionMask);
        Assert.Empty(both.Spans);
        Assert.Equal(new float[] { 0, 1, 1 }, both.HiddenStates[.., 0, 0].data<float>().ToArray());
    }

    [Fact]
    public void Different_widths_are_rejected()
    {
        using var a = new Conditioning(zeros(1, 3, 2));
        using var b = new Conditioning(zeros(1, 3, 4));
        Assert.Contains("widths", Assert.Throws<ArgumentException>(() => Conditioning.Concat(a, b)).Message);
    }

    [Fact]
    public void Repeat_rows_repeats_each_prompt_in_place()
    {
        using var a = new Conditioning(tensor(new float[] { 1, 2 }).reshape(2, 1, 1), ones(2, 1), [[], [new VisualSpan(0, 0, 1)]]);
        using var r = a.RepeatRows(2);
        Assert.Equal(new float[] { 1, 1, 2, 2 }, r.HiddenStates.flatten().data<float>().ToArray());
        Assert.Equal([4L, 1], r.AttentionMask!.shape);
        Assert.Empty(r.Spans[1]);
        Assert.Single(r.Spans[2]);
    }
}
