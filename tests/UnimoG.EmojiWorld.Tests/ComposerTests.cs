namespace UnimoG.EmojiWorld.Tests;

public class ComposerTests(SyntheticArtFixture fx) : IClassFixture<SyntheticArtFixture>
{
    [Fact]
    public async Task The_same_seed_gives_the_same_bytes_whatever_else_is_composed()
    {
        var a = fx.Composer.Compose(Split.Train, 123, 17).Members().ToList();
        // Another composer over the same art, after composing other scenes, on another thread.
        using var emoji = fx.Art.Open();
        var other = new Composer(emoji);
        other.Compose(Split.Train, 123, 16);
        other.Compose(Split.Bench, 123, 17);
        var b = await Task.Run(() => other.Compose(Split.Train, 123, 17).Members().ToList());
        Assert.Equal(a.Select(m => m.Name), b.Select(m => m.Name));
        for (var i = 0; i < a.Count; i++)
            Assert.True(a[i].Data.AsSpan().SequenceEqual(b[i].Data), $"member {a[i].Name} differs");
        // And another seed or index gives another scene.
        Assert.NotEqual(fx.Composer.Compose(Split.Train, 124, 17).Rendered.Rgb, fx.Composer.Compose(Split.Train, 123, 17).Rendered.Rgb);
        Assert.NotEqual(fx.Composer.Compose(Split.Train, 123, 18).Rendered.Rgb, fx.Composer.Compose(Split.Train, 123, 17).Rendered.Rgb);
    }

    [Fact]
    public void Held_out_entities_never_appear_in_the_train_split_and_bench_uses_only_them()
    {
        var train = Enumerable.Range(0, 1500).Select(i => fx.Composer.Compose(Split.Train, 1, i)).ToList();
        Assert.All(train, s => Assert.All(s.Record.Entities, e => Assert.False(e.HeldOut, $"{s.Key}: held-out {e.NameEn} in train")));
        Assert.All(train, s => Assert.All(s.Plan.Entities, p => Assert.False(p.Entity.HeldOut)));
        // Every seen entity of every category turns up: the train split uses the whole seen catalog.
        var used = train.SelectMany(s => s.Record.Entities.Select(e => e.Hex)).ToHashSet();
        var seen = EmojiCatalog.Default.Entities.Where(e => !e.HeldOut).Select(e => e.Hex).ToList();
        Assert.True(seen.Count(used.Contains) >= 0.95 * seen.Count, $"{seen.Count(used.Contains)} of {seen.Count} seen entities used");

        var bench = Enumerable.Range(0, 300).Select(i => fx.Composer.Compose(Split.Bench, 1, i)).ToList();
        Assert.All(bench, s => Assert.All(s.Record.Entities, e => Assert.True(e.HeldOut, $"{s.Key}: seen {e.NameEn} in bench")));
        var all = Enumerable.Range(0, 300).Select(i => fx.Composer.Compose(Split.All, 1, i)).SelectMany(s => s.Record.Entities).ToList();
        Assert.Contains(all, e => e.HeldOut);
        Assert.Contains(all, e => !e.HeldOut);
    }

    [Fact]
    public void Records_agree_with_the_plan_captions_and_rendering()
    {
        var templates = new HashSet<string>();
        var backgrounds = new HashSet<string>();
        foreach (var s in Enumerable.Range(0, 300).Select(i => fx.Composer.Compose(Split.All, 9, i)))
        {
            var r = SampleRecord.Parse(s.Record.ToUtf8());
            Assert.Equal(s.Key, r.Key);
            Assert.Equal(s.CaptionEn.Text, r.CaptionEn);
            Assert.Equal(s.CaptionZh.Text, r.CaptionZh);
            Assert.Equal(s.Plan.Entities.Count, r.Entities.Count);
            Assert.InRange(r.Entities.Count, 1, 3);
            templates.Add(r.Template);
            backgrounds.Add(r.Background.Kind);
            for (var i = 0; i < r.Entities.Count; i++)
            {
                var e = r.Entities[i];
                // Spans point at the entity's words in both captions.
                Assert.Equal(e.NameEn, r.CaptionEn[e.SpanEn[0]..e.SpanEn[1]]);
                Assert.Equal(e.NameZh, r.CaptionZh[e.SpanZh[0]..e.SpanZh[1]]);
                Assert.Equal($"{s.Key}.layer{i}.png", e.Layer);
                Assert.Equal(s.Plan.Entities[i].Entity.Hex, e.Hex);
                Assert.Equal(s.Rendered.Entities[i].Area, e.Area);
            }
            // Spans of different entities do not overlap, and appear in caption order.
            for (var i = 1; i < r.Entities.Count; i++)
            {
                Assert.True(r.Entities[i].SpanEn[0] >= r.Entities[i - 1].SpanEn[1]);
                Assert.True(r.Entities[i].SpanZh[0] >= r.Entities[i - 1].SpanZh[1]);
            }
            // The background is named in the caption exactly when the record says so.
            var bgWords = r.Background.Kind == "scene" ? r.Background.NameEn : $" {r.Background.NameEn} background";
            Assert.Equal(r.Background.Mentioned, r.CaptionEn.EndsWith(bgWords, StringComparison.Ordinal));
            Assert.Equal(r.Background.Mentioned, r.CaptionZh.Contains("背景是" + r.Background.NameZh, StringComparison.Ordinal));
        }
        Assert.Equal(["eat", "play", "single", "wear", "wear_eat", "wear_play"], templates.Order());
        Assert.Equal(["colour", "gradient", "scene"], backgrounds.Order());
    }
}
