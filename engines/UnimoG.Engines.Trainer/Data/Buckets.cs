using UnimoG.Data.Random;

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
        var rng = new SplitMix64(Seed(seed, phase, epoch));
        for (var i = n - 1; i > 0; i--)
        {
            var j = rng.NextIntModulo(i + 1);
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

    /// <summary>The shuffle's seed from (seed, phase, epoch): each part folded in through a fresh generator.</summary>
    private static ulong Seed(params long[] parts)
    {
        var g = new SplitMix64(0x5DEECE66DUL);
        ulong h = 0;
        foreach (var p in parts) { h ^= (ulong)p; g = new SplitMix64(h ^ g.NextUInt64()); h = g.NextUInt64(); }
        return h;
    }
}
