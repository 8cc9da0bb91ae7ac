using System.Security.Cryptography;
using System.Text;
using UnimoG.Data.Random;

namespace UnimoG.Engines.DataPrep.Samples;

/// <summary>
/// Per-sample randomness: <see cref="SplitMix64"/> seeded from SHA-256 of "{seed}:{key}", so a sample's draws do not
/// depend on which worker prepares it or in which order.
/// </summary>
public static class SampleRandom
{
    public static SplitMix64 For(long seed, string key) =>
        new(BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}:{key}")), 0));
}
