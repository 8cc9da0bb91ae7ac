using UnimoG.Data.Random;
using UnimoG.Mini.Bench;

namespace UnimoG.Mini.Tests;

public class BootstrapTests
{
    /// <summary>Standard normal draws (Box-Muller on SplitMix64): a known distribution.</summary>
    private static double[] Normal(int n, ulong seed, double mean, double sd)
    {
        var rng = new SplitMix64(seed);
        return Enumerable.Range(0, n).Select(_ =>
        {
            var u1 = 1 - rng.NextDouble();
            var u2 = rng.NextDouble();
            return mean + sd * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }).ToArray();
    }

    [Fact]
    public void Interval_of_a_normal_mean_matches_the_normal_theory_interval()
    {
        // For n = 2000 draws of N(3, 2^2) the 95 % interval of the mean is about mean +- 1.96 * s / sqrt(n).
        var x = Normal(2000, 42, 3, 2);
        var mean = x.Average();
        var s = Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1));
        var half = 1.959964 * s / Math.Sqrt(x.Length);
        var interval = Bootstrap.Mean(x, resamples: 4000, seed: 1);
        Assert.Equal(mean, interval.Mean, 12);
        Assert.Equal(mean - half, interval.Low, 2);       // within 0.01 of 0.0877
        Assert.Equal(mean + half, interval.High, 2);
        Assert.InRange(3.0, interval.Low, interval.High); // covers the true mean
    }

    [Fact]
    public void Interval_narrows_with_more_data_and_is_deterministic()
    {
        var small = Bootstrap.Mean(Normal(100, 7, 0, 1), seed: 5);
        var large = Bootstrap.Mean(Normal(1600, 7, 0, 1), seed: 5);
        // The width scales as 1/sqrt(n): 16x the data, about a quarter of the width.
        Assert.InRange((large.High - large.Low) / (small.High - small.Low), 0.2, 0.3);
        Assert.Equal(small, Bootstrap.Mean(Normal(100, 7, 0, 1), seed: 5));
    }

    [Fact]
    public void Constant_values_give_a_zero_width_interval()
    {
        var interval = Bootstrap.Mean([0.25, 0.25, 0.25, 0.25]);
        Assert.Equal(new Interval(0.25, 0.25, 0.25, 4), interval);
    }

    [Fact]
    public void Grouped_mean_weighs_by_group_size_and_resamples_groups()
    {
        // Groups {1, 1, 1} and {0}: the mean over images is 3/4. Resampling two groups gives means 1 (both first),
        // 0 (both second) or 3/4 (one each): the 95 % interval spans [0, 1].
        var interval = Bootstrap.GroupedMean([[1.0, 1.0, 1.0], [0.0]], resamples: 1000, seed: 3);
        Assert.Equal(0.75, interval.Mean, 12);
        Assert.Equal(0.0, interval.Low, 12);
        Assert.Equal(1.0, interval.High, 12);
        Assert.Equal(2, interval.Groups);
    }

    [Fact]
    public void Quantile_interpolates_as_numpy()
    {
        // numpy.quantile([1, 2, 4, 8], [0, 0.25, 0.5, 0.9, 1]) = [1, 1.75, 3, 6.8, 8]
        double[] sorted = [1, 2, 4, 8];
        Assert.Equal([1, 1.75, 3, 6.8, 8], new[] { 0, 0.25, 0.5, 0.9, 1 }.Select(q => Math.Round(Bootstrap.Quantile(sorted, q), 12)).ToArray());
    }

    [Fact]
    public void NaN_values_are_left_out()
    {
        Assert.Equal(0.5, Bootstrap.Mean([double.NaN, 0.0, 1.0]).Mean, 12);
        Assert.Throws<ArgumentException>(() => Bootstrap.Mean([double.NaN]));
    }
}
