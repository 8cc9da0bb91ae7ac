namespace UnimoG.EmojiWorld.Tests;

/// <summary>The generator itself is tested against the published SplitMix64 sequences in UnimoG.Data.Tests.</summary>
public class SceneRandomTests
{
    [Fact]
    public void Scene_generators_depend_on_seed_split_and_index_only()
    {
        ulong First(long seed, Split split, long index) => Composer.SceneRandom(seed, split, index).NextUInt64();
        Assert.Equal(First(7, Split.Train, 3), First(7, Split.Train, 3));
        Assert.NotEqual(First(7, Split.Train, 3), First(7, Split.Train, 4));
        Assert.NotEqual(First(7, Split.Train, 3), First(8, Split.Train, 3));
        Assert.NotEqual(First(7, Split.Train, 3), First(7, Split.Bench, 3));
    }

    [Fact]
    public void A_scene_generator_is_splitmix64_from_the_mixed_seed()
    {
        // Closed form of the seeding: Mix(Mix(seed ^ (split + 1) * gamma) ^ index), then the plain SplitMix64 sequence.
        const ulong gamma = 0x9E3779B97F4A7C15UL;
        var state = UnimoG.Data.Random.SplitMix64.Mix(UnimoG.Data.Random.SplitMix64.Mix(7UL ^ unchecked(((ulong)Split.Bench + 1) * gamma)) ^ 3UL);
        Assert.Equal(UnimoG.Data.Random.SplitMix64.Mix(unchecked(state + gamma)), Composer.SceneRandom(7, Split.Bench, 3).NextUInt64());
    }
}
