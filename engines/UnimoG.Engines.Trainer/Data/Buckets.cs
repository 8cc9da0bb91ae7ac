namespace UnimoG.Engines.Trainer.Data;

/// <summary>One aspect-ratio bucket at a phase's resolution: every image in it is resized and cropped to Width x Height.</summary>
public sealed record Bucket(int Index, double Ratio, int Width, int Height);

/// <summary>
/// Aspect-ratio buckets (the paper's multiscale training: ratios 0.5, 0.75, 1.0, 1.5, 2.0). A bucket of ratio r at
/// resolution R keeps about R*R pixels: width R*sqrt(r), height R/sqrt(r), rounded to a multiple of
/// <c>multiple</c> (the VAE factor times the U-Net's downsampling). An image goes to the bucket whose ratio is
/// nearest to its own width/height in log space, so a batch (one bucket) holds one shape.
/// </summary>
public sealed class AspectBuckets
{
    public IReadOnlyList<Bucket> All { get; }

    public AspectBuckets(IReadOnlyList<double> ratios, int resolution, int multiple)
    {
        All = ratios.Distinct().OrderBy(r => r).Select((r, i) => new Bucket(i, r,
            Round(resolution * Math.Sqrt(r), multiple), Round(resolution / Math.Sqrt(r), multiple))).ToList();
    }

    public Bucket For(int width, int height)
    {
        var logRatio = Math.Log((double)width / height);
        return All.MinBy(b => Math.Abs(Math.Log(b.Ratio) - logRatio))!;
    }

    private static int Round(double size, int multiple) => Math.Max(multiple, (int)Math.Round(size / multiple) * multiple);
}

/// <summary>SplitMix64: a tiny, fully specified generator for data order (independent of torch and of thread timing).</summary>
public struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) (rejection sampling, no modulo bias).</summary>
    public int NextInt(int n)
    {
        var limit = ulong.MaxValue - ulong.MaxValue % (ulong)n;
        ulong v;
        do v = Next(); while (v >= limit);
        return (int)(v % (ulong)n);
    }

    public static ulong Mix(params long[] parts)
    {
        var g = new SplitMix64(0x5DEECE66DUL);
        ulong h = 0;
        foreach (var p in parts) { h ^= (ulong)p; g = new SplitMix64(h ^ g.Next()); h = g.Next(); }
        return h;
    }
}

/// <summary>
/// The batches of one epoch of one phase: a seeded shuffle (seed, phase, epoch), then each index joins its bucket's
/// pending list and a full list becomes the next batch; partial batches at the end of an epoch are dropped.
/// Recomputed, not stored: a data position is just (epoch, batch).
/// </summary>
public static class EpochPlan
{
    public static IReadOnlyList<int[]> Batches(IReadOnlyList<int> bucketOf, int batchSize, long seed, int phase, int epoch)
    {
        var n = bucketOf.Count;
        var order = Enumerable.Range(0, n).ToArray();
        var rng = new SplitMix64(SplitMix64.Mix(seed, phase, epoch));
        for (var i = n - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var pending = new Dictionary<int, List<int>>();
        var batches = new List<int[]>();
        foreach (var i in order)
        {
            if (!pending.TryGetValue(bucketOf[i], out var list)) pending[bucketOf[i]] = list = new List<int>(batchSize);
            list.Add(i);
            if (list.Count == batchSize)
            {
                batches.Add([.. list]);
                list.Clear();
            }
        }
        return batches;
    }
}
