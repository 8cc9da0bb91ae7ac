using UnimoG.Data.Random;

namespace UnimoG.Data.Tests;

public class SplitMix64Tests
{
    // Vigna's splitmix64.c, as published (Rosetta Code "Pseudo-random numbers/Splitmix64" for seed 1234567).
    private static readonly ulong[] Seed1234567 = [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821];
    private static readonly ulong[] Seed0 = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F, 0xF88BB8A8724C81EC, 0x1B39896A51A8749B];

    [Fact]
    public void Matches_the_published_reference_sequences()
    {
        var a = new SplitMix64(1234567);
        Assert.Equal(Seed1234567, Seed1234567.Select(_ => a.NextUInt64()));
        var b = new SplitMix64(0);
        Assert.Equal(Seed0, Seed0.Select(_ => b.NextUInt64()));
        // Mix is the output function alone: the first output of state s is Mix(s + gamma).
        Assert.Equal(Seed0[0], SplitMix64.Mix(0x9E3779B97F4A7C15));
    }

    [Fact]
    public void Doubles_are_the_top_53_bits_of_the_reference_words()
    {
        var g = new SplitMix64(1234567);
        foreach (var x in Seed1234567) Assert.Equal((x >> 11) / 9007199254740992.0, g.NextDouble());
        g = new SplitMix64(1234567);
        Assert.Equal(-2 + 5 * ((Seed1234567[0] >> 11) / 9007199254740992.0), g.Uniform(-2, 3));
    }

    [Theory]
    [InlineData(7)]
    [InlineData(1000)]
    [InlineData(int.MaxValue)]
    public void Bounded_draws_follow_their_closed_forms(int n)
    {
        // Lemire: floor(x * n / 2^64), rejecting x whose low product word is below (2^64 - n) mod n.
        var lemire = new SplitMix64(1234567);
        var threshold = (0UL - (ulong)n) % (ulong)n;
        var expected = Seed1234567.Where(x => (ulong)((UInt128)x * (ulong)n) >= threshold).Select(x => (int)(((UInt128)x * (ulong)n) >> 64));
        Assert.Equal(expected.Take(3), Enumerable.Range(0, 3).Select(_ => lemire.NextInt(n)));
        // Modulo: x mod n, rejecting x at or above the largest multiple of n.
        var modulo = new SplitMix64(1234567);
        var limit = ulong.MaxValue - ulong.MaxValue % (ulong)n;
        Assert.Equal(Seed1234567.Where(x => x < limit).Select(x => (int)(x % (ulong)n)).Take(3), Enumerable.Range(0, 3).Select(_ => modulo.NextIntModulo(n)));
    }

    [Fact]
    public void Bounded_draws_cover_their_range_evenly()
    {
        var rng = new SplitMix64(42);
        var counts = new int[7];
        for (var i = 0; i < 70_000; i++) counts[rng.NextInt(7)]++;
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));   // 10,000 each; 5 sigma is about 450
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextInt(0));
        Assert.Equal(2, new SplitMix64(1).PickWeighted([0, 0, 1]));
    }
}
