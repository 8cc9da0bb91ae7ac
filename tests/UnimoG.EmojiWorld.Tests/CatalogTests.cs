namespace UnimoG.EmojiWorld.Tests;

public class CatalogTests
{
    private static readonly EmojiCatalog Catalog = EmojiCatalog.Default;

    [Theory]
    [InlineData(Category.Living, 40)]
    [InlineData(Category.Wearing, 25)]
    [InlineData(Category.Toy, 30)]
    [InlineData(Category.Food, 50)]
    public void Every_category_has_enough_entities_and_holds_out_at_least_ten(Category category, int atLeast)
    {
        var all = Catalog.Entities.Where(e => e.Category == category).ToList();
        Assert.True(all.Count >= atLeast, $"{category}: {all.Count} entities, expected at least {atLeast}");
        Assert.True(all.Count(e => e.HeldOut) >= 10, $"{category}: only {all.Count(e => e.HeldOut)} held out");
        Assert.Equal(all.Where(e => !e.HeldOut), Catalog.In(category, Split.Train));
        Assert.Equal(all.Where(e => e.HeldOut), Catalog.In(category, Split.Bench));
        Assert.Equal(all, Catalog.In(category, Split.All));
    }

    [Fact]
    public void Names_are_unique_non_empty_and_Chinese_names_are_Chinese()
    {
        Assert.Equal(Catalog.Entities.Count, Catalog.Entities.Select(e => e.NameEn).Distinct().Count());
        Assert.Equal(Catalog.Entities.Count, Catalog.Entities.Select(e => e.NameZh).Distinct().Count());
        foreach (var e in Catalog.Entities)
        {
            Assert.Contains(e.NameZh, c => c is >= '\u4E00' and <= '\u9FFF');
            Assert.DoesNotContain(e.NameEn, char.IsSurrogate);
            Assert.Equal(e.NameEn.Trim(), e.NameEn);
            // The article agrees with the name's first sound for the regular cases.
            if (e.ArticleEn == "an") Assert.Contains(char.ToLowerInvariant(e.NameEn[0]), "aeiou");
        }
    }

    [Fact]
    public void Living_anchors_and_wearing_fits_are_complete()
    {
        foreach (var e in Catalog.Entities)
        {
            if (e.Category == Category.Living)
            {
                var a = Assert.IsType<LivingAnchors>(e.Anchors);
                Assert.InRange(a.EyesY, a.Head.Y0, a.Head.Y1);
                Assert.NotEmpty(a.Wears);
                Assert.True(e.Kind == Kind.Face || a.Body is not null, $"{e}: a {e.Kind} needs a body box");
            }
            else
            {
                Assert.Null(e.Anchors);
            }
            Assert.Equal(e.Category == Category.Wearing, e.Fit is not null);
            Assert.Equal(e.Category == Category.Wearing, e.VerbZh is not null);
        }
        // Every worn kind has at least one wearer, and every held-out worn item has a held-out wearer.
        var living = Catalog.Entities.Where(e => e.Category == Category.Living).ToList();
        foreach (var w in Catalog.Entities.Where(e => e.Category == Category.Wearing))
        {
            Assert.Contains(living, l => l.Anchors!.Wears.Contains(w.Kind));
            if (w.HeldOut) Assert.Contains(living, l => l.HeldOut && l.Anchors!.Wears.Contains(w.Kind));
        }
    }

    [Fact]
    public void Look_alikes_named_in_the_art_notes_are_not_both_included()
    {
        // ../shared/notes/emoji-art.md: dog face vs dog, hamster vs mouse; and skin tones only as the base emoji.
        var hexes = Catalog.Entities.Select(e => e.Hex).ToHashSet();
        Assert.False(hexes.Contains("1F436") && hexes.Contains("1F415"), "dog face and dog");
        Assert.False(hexes.Contains("1F439") && hexes.Contains("1F42D"), "hamster and mouse face");
        Assert.DoesNotContain(hexes, h => h.Split('-').Any(p => p is "1F3FB" or "1F3FC" or "1F3FD" or "1F3FE" or "1F3FF"));
        Assert.True(Catalog.Entities.Count(e => e.NameEn.Contains("shoe") || e.NameEn.Contains("boot")) <= 1, "footwear look-alikes");
    }

    [Theory]
    [InlineData("1F436\tliving\tface\tdog\ta\t狗\t只\t-\t2\thead=1,1,60,60 eyes=30 wear=hat", "line 3: held_out '2' must be 0 or 1")]
    [InlineData("1F436\tliving\that\tdog\ta\t狗\t只\t-\t0\thead=1,1,60,60 eyes=30", "line 3: kind 'hat' does not fit category 'living'")]
    [InlineData("1F436\tliving\tface\tdog\ta\t狗\t只\t-\t0\teyes=30", "line 3: living entities need head=")]
    [InlineData("1F436\tliving\tface\tdog\ta\t狗\t只\t-\t0\thead=1,1,60,60 eyes=70", "line 3: eyes=70 lies outside the head box")]
    [InlineData("1F436\tliving\tface\tdog\ta\t狗\t只\t-\t0\thead=1,1,60,90 eyes=30", "line 3: layout head=1,1,60,90 must be a non-empty box inside")]
    [InlineData("1F436\tliving\tface\tdog\tthe\t狗\t只\t-\t0\thead=1,1,60,60 eyes=30", "line 3: article 'the'")]
    [InlineData("1F3A9\twearing\that\ttop hat\ta\t礼帽\t顶\t-\t0\tw=1 sink=0.2", "line 3: zh_verb must be given for wearing")]
    [InlineData("1F3A9\twearing\that\ttop hat\ta\t礼帽\t顶\t戴着\t0\tw=1", "line 3: hat items need sink=number")]
    [InlineData("XYZ\tfood\tfood\tpizza\t\t比萨\t块\t-\t0\t", "line 3: hex 'XYZ' is not an emoji code")]
    [InlineData("1F355\tfood\tfood\tpizza\t\t比萨\t块\t-\t0\tw=2", "line 3: toys and food take no layout")]
    public void Bad_rows_are_rejected_naming_the_line_and_field(string row, string expected)
    {
        var text = "# comment\n" + string.Join('\t', "hex", "category", "kind", "en", "article", "zh", "zh_cl", "zh_verb", "held_out", "layout") + "\n" + row + "\n";
        var e = Assert.Throws<InvalidDataException>(() => EmojiCatalog.Parse(text, "test.tsv"));
        Assert.Contains("test.tsv " + expected, e.Message);
    }

    [Fact]
    public void Too_few_held_out_entities_is_an_error()
    {
        var header = string.Join('\t', "hex", "category", "kind", "en", "article", "zh", "zh_cl", "zh_verb", "held_out", "layout");
        var e = Assert.Throws<InvalidDataException>(() => EmojiCatalog.Parse(header + "\n1F355\tfood\tfood\tpizza\t\t比萨\t块\t-\t1\t\n", "t.tsv"));
        Assert.Contains("holds out", e.Message);
    }

    [Fact]
    public void Backgrounds_parse_and_scenes_are_distinct_emoji()
    {
        var b = BackgroundCatalog.Default;
        Assert.True(b.Colours.Count >= 10);
        Assert.True(b.Scenes.Count >= 10);
        Assert.Equal(b.Scenes.Count, b.Scenes.Select(s => s.Hex).Distinct().Count());
        Assert.DoesNotContain(b.Scenes, s => EmojiCatalog.Default.Entities.Any(e => e.Hex == s.Hex));
        var bad = Assert.Throws<InvalidDataException>(() => BackgroundCatalog.Parse("kind\tid\tvalue\ten\tzh\ncolour\tred\tred\tred\t红色\n", "bg.tsv"));
        Assert.Contains("bg.tsv line 2: colour value 'red' must be #RRGGBB", bad.Message);
    }
}
