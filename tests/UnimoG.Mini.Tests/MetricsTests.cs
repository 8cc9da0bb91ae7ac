using TorchSharp;
using UnimoG.Mini.Bench;

namespace UnimoG.Mini.Tests;

public class MetricsTests
{
    [Fact]
    public void Subject_similarity_is_the_mean_cosine_over_the_prompts_subjects()
    {
        // Generated g0 = (1, 0, 0), g1 = (1, 1, 0) (unnormalised); subjects s0 = (1, 0, 0), s1 = (0, 1, 0), s2 = (0, 0, 3).
        using var g = torch.tensor(new float[] { 1, 0, 0, 1, 1, 0 }).view(2, 3);
        using var s = torch.tensor(new float[] { 1, 0, 0, 0, 1, 0, 0, 0, 3 }).view(3, 3);
        var r = EmojiBenchMetrics.MeanSubjectCosine(g, s, [[0, 1], [0, 2], []]);
        // g0: (cos 1 + cos 0) / 2 = 0.5; g1: (1/sqrt 2 + 0) / 2; no subjects: NaN.
        Assert.Equal(0.5, r[0], 6);
        Assert.Equal(1 / Math.Sqrt(2) / 2, r[1], 6);
        Assert.True(double.IsNaN(r[2]));
    }

    [Fact]
    public void Text_similarity_is_the_row_wise_cosine()
    {
        using var a = torch.tensor(new float[] { 3, 4, 1, 0 }).view(2, 2);
        using var b = torch.tensor(new float[] { 4, 3, -2, 0 }).view(2, 2);
        var r = EmojiBenchMetrics.PairCosine(a, b);
        Assert.Equal(24.0 / 25, r[0], 6);
        Assert.Equal(-1.0, r[1], 6);
    }

    [Fact]
    public void Recognition_is_the_share_of_named_entities_above_the_threshold()
    {
        using var p = torch.tensor(new float[] { 0.9f, 0.2f, 0.6f, 0.5f, 0.51f, 0.0f }).view(2, 3);
        var r = EmojiBenchMetrics.RecognisedShare(p, [[0, 1, 2], [0, 1]], 0.5);
        Assert.Equal(2.0 / 3, r[0], 12);   // 0.9 and 0.6 pass, 0.2 does not
        Assert.Equal(0.5, r[1], 12);       // exactly 0.5 is not above the threshold
    }
}
