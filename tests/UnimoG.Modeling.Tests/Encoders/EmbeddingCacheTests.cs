using UnimoG.TestSupport;
using TorchSharp;
using UnimoG.Modeling.Encoders;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Encoders;

public class EmbeddingCacheTests
{
    [Fact]
    public void Repeated_prompts_and_entity_images_are_served_from_the_cache()
    {
        var arch = MllmConfigs.Tiny;
        using var cache = new EmbeddingCache(1 << 20);
        using var enc = MllmEncoderTests.TinyEncoder(arch, cache);
        var dog = MllmEncoderTests.Image(11, arch);
        MllmPart[] prompt = [new MllmText("a "), dog, new MllmText(" running")];
        using var first = enc.Encode(prompt);
        Assert.Equal(0, cache.Hits);
        Assert.Equal(2, cache.Misses); // the prompt, then its image
        using var second = enc.Encode([new MllmText("a "), dog, new MllmText(" run"), new MllmText("ning")]); // same content
        Assert.Equal(1, cache.Hits);
        TensorAssert.Identical(first.HiddenStates, second.HiddenStates, "cached");
        Assert.Equal(first.Spans[0], second.Spans[0]);
        // the same entity image in a new prompt: the prompt misses, the image hits
        using var third = enc.Encode([dog, new MllmText(" sleeping")]);
        Assert.Equal(2, cache.Hits);
        Assert.Equal(3, cache.Misses);
        // a caller disposing its result leaves the cache intact
        first.Dispose();
        using var fourth = enc.Encode(prompt);
        TensorAssert.Identical(second.HiddenStates, fourth.HiddenStates, "after dispose");
    }

    [Fact]
    public void Evicts_least_recently_used_within_the_byte_budget()
    {
        using var cache = new EmbeddingCache(3 * 400); // room for three 100-float entries
        Tensor T(float v) => torch.full(100, v);
        cache.Put("a", [T(1)]);
        cache.Put("b", [T(2)]);
        cache.Put("c", [T(3)]);
        Assert.Equal(1200, cache.Bytes);
        Assert.True(cache.TryGet("a", out _, out _)); // a is now the most recent: b is the oldest
        cache.Put("d", [T(4)]);
        Assert.Equal(3, cache.Count);
        Assert.Equal(1, cache.Evictions);
        Assert.False(cache.TryGet("b", out _, out _));
        Assert.True(cache.TryGet("c", out var c, out _));
        Assert.Equal(3f, c[0][0].item<float>());
        cache.Put("huge", [torch.zeros(1000)]); // over the whole budget: not stored, nothing evicted
        Assert.Equal(3, cache.Count);
        Assert.False(cache.TryGet("huge", out _, out _));
        Assert.Equal((2, 2), (cache.Hits, cache.Misses));
    }

    [Fact]
    public void Is_safe_under_concurrent_use()
    {
        using var cache = new EmbeddingCache(50 * 40);
        Parallel.For(0, 400, i =>
        {
            var key = (i % 37).ToString();
            if (cache.TryGet(key, out var got, out _))
            {
                Assert.Equal((float)(i % 37), got[0][0].item<float>());
                foreach (var t in got) t.Dispose();
            }
            else
            {
                using var t = torch.full(10, (float)(i % 37));
                cache.Put(key, [t]);
            }
        });
        Assert.Equal(400, cache.Hits + cache.Misses);
        Assert.True(cache.Bytes <= cache.ByteBudget);
    }

    [Fact]
    public void Keys_depend_on_every_part_and_its_boundaries()
    {
        Assert.Equal(EmbeddingCache.Key("m", "ab"), EmbeddingCache.Key("m", "ab"));
        Assert.NotEqual(EmbeddingCache.Key("m", "ab"), EmbeddingCache.Key("m", "a", "b"));
        Assert.NotEqual(EmbeddingCache.Key("m1", "ab"), EmbeddingCache.Key("m2", "ab"));
    }
}
