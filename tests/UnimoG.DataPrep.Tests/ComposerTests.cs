using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Engines.DataPrep.Samples;
using UnimoG.Engines.DataPrep.Segmentation;
using UnimoG.Imaging;

namespace UnimoG.DataPrep.Tests;

public class ComposerTests
{
    private const string Caption = "a dog wearing a red scarf eats pizza";
    private static readonly DecodedImage Image = TestData.Scene(8, 8, (0, 0, 4, 4, 255, 0, 0));

    private static List<GroundedEntity> Entities()
    {
        var mask = Mask.FromBox(new(0, 0, 4, 4), 8, 8);
        return new[] { ("dog", 2), ("red scarf", 16), ("pizza", 31) }
            .Select(p => new GroundedEntity(new EntityMention(p.Item1, p.Item2, p.Item2 + p.Item1.Length, p.Item1),
                new BoxXyxy(0, 0, 4, 4), 0.9f, "grounding", mask, "box"))
            .ToList();
    }

    [Fact]
    public void Replaced_words_become_numbered_image_tokens_in_caption_order()
    {
        var s = SampleComposer.Compose(Caption, Image, Entities(), SampleRandom.For(0, "k"), replaceRate: 1, textOnlyShare: 0);
        Assert.False(s.TextOnly);
        Assert.Equal("a <img1> wearing a <img2> eats <img3>", s.Prompt);
        Assert.Equal(["a ", null, " wearing a ", null, " eats ", null], s.Parts.Select(p => p.Text));
        Assert.Equal([null, 0, null, 1, null, 2], s.Parts.Select(p => p.Entity));
        var none = SampleComposer.Compose(Caption, Image, Entities(), SampleRandom.For(0, "k"), replaceRate: 0, textOnlyShare: 0);
        Assert.Equal(Caption, none.Prompt);
        Assert.All(none.Entities, e => Assert.False(e.Replaced));
    }

    [Fact]
    public void Replacement_rate_and_text_only_share_hold_statistically_and_draws_are_per_key()
    {
        const int n = 3000;
        const double rate = 0.3, share = 0.1;
        var (textOnly, replaced, eligible) = (0, 0, 0);
        for (var i = 0; i < n; i++)
        {
            var s = SampleComposer.Compose(Caption, Image, Entities(), SampleRandom.For(7, $"key{i}"), rate, share);
            if (s.TextOnly)
            {
                textOnly++;
                Assert.Equal(Caption, s.Prompt);
                continue;
            }
            eligible += s.Entities.Count;
            replaced += s.Entities.Count(e => e.Replaced);
            Assert.Equal(s.Entities.Count(e => e.Replaced), s.Parts.Count(p => p.Image is not null));
        }
        // Within 4 standard deviations of the binomial expectations.
        Assert.InRange(textOnly, n * share - 4 * Math.Sqrt(n * share * (1 - share)), n * share + 4 * Math.Sqrt(n * share * (1 - share)));
        var sd = Math.Sqrt(eligible * rate * (1 - rate));
        Assert.InRange(replaced, eligible * rate - 4 * sd, eligible * rate + 4 * sd);

        // The same (seed, key) always draws the same; another seed draws differently.
        string Prompt(long seed, string key) => SampleComposer.Compose(Caption, Image, Entities(), SampleRandom.For(seed, key), 0.5, 0.1).Prompt;
        Assert.Equal(Prompt(1, "a"), Prompt(1, "a"));
        Assert.NotEqual(Enumerable.Range(0, 20).Select(i => Prompt(1, $"k{i}")), Enumerable.Range(0, 20).Select(i => Prompt(2, $"k{i}")));
    }

    [Fact]
    public void Sample_random_is_splitmix64_seeded_from_SHA256()
    {
        // The state is the first 8 bytes (little-endian) of SHA-256("0:k"); the sequence is plain SplitMix64.
        var state = BitConverter.ToUInt64(System.Security.Cryptography.SHA256.HashData("0:k"u8.ToArray()), 0);
        Assert.Equal(new UnimoG.Data.Random.SplitMix64(state).NextUInt64(), SampleRandom.For(0, "k").NextUInt64());
    }

    [Fact]
    public void Segments_are_RGBA_crops_with_the_mask_as_alpha()
    {
        var image = TestData.Scene(10, 6, (2, 1, 6, 5, 255, 0, 0));
        image.Rgba[(1 * 10 + 2) * 4 + 1] = 77; // a distinct green value inside the mask
        var mask = new Mask(10, 6, Enumerable.Range(0, 60).Select(i => i % 10 is >= 2 and < 6 && i / 10 is >= 1 and < 4).ToArray());
        var (png, box) = SampleComposer.CutOut(image, mask, new BoxXyxy(1.5f, 0.2f, 6.2f, 5f));
        Assert.Equal(new BoxXyxy(1, 0, 7, 5), box); // floor of the start, ceiling of the end
        var seg = ImageDecoder.Decode(png, new ImageLimits { MaxPixels = 1000 });
        Assert.Equal((6, 5), (seg.Width, seg.Height));
        for (var y = 0; y < 5; y++)
        for (var x = 0; x < 6; x++)
            Assert.Equal(mask[x + 1, y] ? 255 : 0, seg.Alpha(x, y));
        Assert.Equal(new byte[] { 255, 77, 0, 255 }, seg.Rgba.AsSpan(7 * 4, 4).ToArray()); // source (2, 1) is crop (1, 1)
    }
}
