using System.Security.Cryptography;
using System.Text;

namespace UnimoG.Engines.DataPrep.Samples;

/// <summary>
/// Per-sample randomness: SplitMix64 seeded from SHA-256 of "{seed}:{key}", so a sample's draws do not depend on
/// which worker prepares it, in which order, or on the .NET version (System.Random's seeded sequence may change).
/// </summary>
public sealed class SampleRandom(ulong state)
{
    public static SampleRandom For(long seed, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}:{key}"));
        return new SampleRandom(BitConverter.ToUInt64(hash, 0));
    }

    public ulong NextUInt64()
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
