namespace UnimoG.Data.Random;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014; Vigna's <c>splitmix64.c</c>): a tiny, fully specified generator, so data
/// order, scenes and prompts are the same on every .NET version and platform (System.Random's seeded algorithm is
/// an implementation detail) and independent of torch and of thread timing. One instance per stream, seeded
/// explicitly: never a global generator. Committed data and models were made with these exact sequences.
/// </summary>
public sealed class SplitMix64(ulong seed)
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;
    private ulong _state = seed;

    public ulong NextUInt64() => Mix(_state = unchecked(_state + Gamma));

    /// <summary>The output function (the finaliser of MurmurHash3's variant 13): a bijection on 64-bit words.</summary>
    public static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits (the top ones).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [lo, hi).</summary>
    public double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>Uniform integer in [0, n) without modulo bias: Lemire's multiply-shift with rejection (scenes, prompts, bootstrap).</summary>
    public int NextInt(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        var bound = (ulong)n;
        var threshold = (0UL - bound) % bound;
        while (true)
        {
            var product = Math.BigMul(NextUInt64(), bound, out var low);
            if (low >= threshold) return (int)product;
        }
    }

    /// <summary>
    /// Uniform integer in [0, n) without modulo bias: rejection above the largest multiple of n, then modulo. A second
    /// bounded draw because the trainer's epoch shuffle was made with it (a run's data order must not change).
    /// </summary>
    public int NextIntModulo(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        var limit = ulong.MaxValue - ulong.MaxValue % (ulong)n;
        ulong v;
        do v = NextUInt64(); while (v >= limit);
        return (int)(v % (ulong)n);
    }

    public bool Chance(double p) => NextDouble() < p;

    public T Pick<T>(IReadOnlyList<T> items) =>
        items.Count == 0 ? throw new InvalidOperationException("Pick from an empty list.") : items[NextInt(items.Count)];

    /// <summary>Index drawn with probability proportional to <paramref name="weights"/>.</summary>
    public int PickWeighted(IReadOnlyList<double> weights)
    {
        var x = NextDouble() * weights.Sum();
        for (var i = 0; i < weights.Count; i++)
        {
            x -= weights[i];
            if (x < 0) return i;
        }
        return weights.Count - 1;
    }
}
