using UnimoG.Distributed;

namespace UnimoG.Distributed.Tests;

public class ShardPartitionTests
{
    [Theory]
    [InlineData(10, 3)]
    [InlineData(269988, 2)]
    [InlineData(269988, 7)]
    [InlineData(2, 5)]
    [InlineData(0, 4)]
    public void Shards_cover_the_vector_once_in_rank_order_and_differ_in_size_by_at_most_one(long total, int parts)
    {
        long next = 0;
        var counts = ShardPartition.Counts(total, parts);
        for (var r = 0; r < parts; r++)
        {
            var (start, count) = ShardPartition.Of(total, parts, r);
            Assert.Equal(next, start);
            Assert.Equal(counts[r], count);
            next += count;
        }
        Assert.Equal(total, next);
        Assert.True(counts.Max() - counts.Min() <= 1);
    }

    [Fact]
    public void The_paper_U_Net_splits_without_overflow()
    {
        // 3.56e9 elements * rank does not fit a long times an int in 32 bits, nor 64 for 2^40 elements; Int128 inside.
        var (start, count) = ShardPartition.Of(1L << 40, 1024, 1023);
        Assert.Equal((1L << 40) - (1L << 30), start);
        Assert.Equal(1L << 30, count);
    }

    [Fact]
    public void A_rank_outside_the_job_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardPartition.Of(10, 2, 2));
}
