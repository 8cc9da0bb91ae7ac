namespace UnimoG.EmojiWorld.Tests;

public class PrngTests
{
    [Fact]
    public void MatchesTheSplitMix64ReferenceSequence()
    {
        // Steele, Lea & Flood's splitmix64 (as in Vigna's reference C code) from state 0 and from 1234567.
        var zero = new Prng(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, zero.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, zero.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, zero.NextUInt64());
        var other = new Prng(1234567);
        Assert.Equal(6457827717110365317UL, other.NextUInt64());
        Assert.Equal(3203168211198807973UL, other.NextUInt64());
        Assert.Equal(9817491932198370423UL, other.NextUInt64());
    }

    [Fact]
    public void SceneGeneratorsDependOnSeedSplitAndIndexOnly()
    {
        ulong First(long seed, Split split, long index) => Prng.ForScene(seed, split, index).NextUInt64();
        Assert.Equal(First(7, Split.Train, 3), First(7, Split.Train, 3));
        Assert.NotEqual(First(7, Split.Train, 3), First(7, Split.Train, 4));
        Assert.NotEqual(First(7, Split.Train, 3), First(8, Split.Train, 3));
        Assert.NotEqual(First(7, Split.Train, 3), First(7, Split.Bench, 3));
    }

    [Fact]
    public void BoundedDrawsStayInRangeAndCoverIt()
    {
        var rng = new Prng(42);
        var counts = new int[7];
        for (var i = 0; i < 70_000; i++) counts[rng.Next(7)]++;
        // Each bucket expects 10,000; 5 sigma is about 450.
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
        for (var i = 0; i < 1000; i++) Assert.InRange(rng.Uniform(-2, 3), -2, 3);
    }
}
