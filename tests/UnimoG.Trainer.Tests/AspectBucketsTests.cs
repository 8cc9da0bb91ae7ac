using UnimoG.Engines.Trainer.Data;

namespace UnimoG.Trainer.Tests;

/// <summary>Aspect-ratio buckets and the epoch plan's batches, which never mix buckets.</summary>
public class AspectBucketsTests
{
    [Fact]
    public void Buckets_have_the_papers_ratios_and_batches_never_mix_them()
    {
        var b = new AspectBuckets([0.5, 0.75, 1.0, 1.5, 2.0], 256, 64);
        Assert.Equal(["192x384", "192x320", "256x256", "320x192", "384x192"], b.All.Select(x => $"{x.Width}x{x.Height}"));
        Assert.Equal(2.0, b.For(1000, 480).Ratio);
        Assert.Equal(1.0, b.For(500, 480).Ratio);
        Assert.Equal(0.5, b.For(100, 300).Ratio);

        var bucketOf = Enumerable.Range(0, 101).Select(i => i % 3).ToArray();
        var batches = EpochPlan.Batches(bucketOf, 4, seed: 1, phase: 0, epoch: 0);
        Assert.All(batches, batch => Assert.Single(batch.Select(i => bucketOf[i]).Distinct()));
        Assert.Equal(24, batches.Count);                                           // 34/33/34 per bucket -> 8 full batches each
        Assert.Equal(batches.SelectMany(x => x).Count(), batches.SelectMany(x => x).Distinct().Count());
        Assert.Equal(batches.Select(x => string.Join(",", x)), EpochPlan.Batches(bucketOf, 4, 1, 0, 0).Select(x => string.Join(",", x)));
        Assert.NotEqual(batches.Select(x => string.Join(",", x)), EpochPlan.Batches(bucketOf, 4, 1, 0, 1).Select(x => string.Join(",", x)));
    }
}
