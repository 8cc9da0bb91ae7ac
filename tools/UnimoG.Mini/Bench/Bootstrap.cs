using UnimoG.Data.Random;

namespace UnimoG.Mini.Bench;

/// <summary>A mean with its bootstrap confidence interval.</summary>
public sealed record Interval(double Mean, double Low, double High, int Groups)
{
    public override string ToString() => $"{Mean:0.000} [{Low:0.000}, {High:0.000}]";

    /// <summary>As a difference: each number with its sign (a value that rounds to 0.000 shows as 0.000).</summary>
    public string ToSignedString() => $"{Signed(Mean)} [{Signed(Low)}, {Signed(High)}]";

    private static string Signed(double v)
    {
        var r = Math.Round(v, 3);
        return r == 0 ? "0.000" : r.ToString("+0.000;-0.000", System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Percentile bootstrap intervals for a mean. Images of one prompt are not independent (same subjects, same text),
/// so <see cref="GroupedMean"/> resamples whole groups (prompts) and weighs each by its size, as the mean over all
/// images does. Deterministic: the resampling draws from a SplitMix64 generator seeded by the caller.
/// </summary>
public static class Bootstrap
{
    /// <summary>Mean of independent values and its <paramref name="level"/> percentile-bootstrap interval (NaN values are left out).</summary>
    public static Interval Mean(IReadOnlyList<double> values, int resamples = 2000, double level = 0.95, ulong seed = 0) =>
        GroupedMean(values.Where(v => !double.IsNaN(v)).Select(v => (IReadOnlyList<double>)[v]).ToList(), resamples, level, seed);

    /// <summary>Mean over all values of all groups, with an interval from resampling groups with replacement.</summary>
    public static Interval GroupedMean(IReadOnlyList<IReadOnlyList<double>> groups, int resamples = 2000, double level = 0.95, ulong seed = 0)
    {
        var clean = groups.Select(g => g.Where(v => !double.IsNaN(v)).ToArray()).Where(g => g.Length > 0).ToArray();
        if (clean.Length == 0) throw new ArgumentException("no values to bootstrap");
        if (level is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(level), level, "level must be in (0, 1)");
        if (resamples < 10) throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "use at least 10 resamples");
        var sums = clean.Select(g => g.Sum()).ToArray();
        var counts = clean.Select(g => g.Length).ToArray();
        var mean = sums.Sum() / counts.Sum();
        var rng = new SplitMix64(seed);
        var means = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            double s = 0, c = 0;
            for (var k = 0; k < clean.Length; k++)
            {
                var j = rng.NextInt(clean.Length);
                s += sums[j];
                c += counts[j];
            }
            means[r] = s / c;
        }
        Array.Sort(means);
        var alpha = (1 - level) / 2;
        return new Interval(mean, Quantile(means, alpha), Quantile(means, 1 - alpha), clean.Length);
    }

    /// <summary>Linear interpolation between order statistics (numpy's default "linear" method).</summary>
    public static double Quantile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var lo = (int)Math.Floor(position);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
    }
}
