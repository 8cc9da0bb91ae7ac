using System.Text.RegularExpressions;
using UnimoG.EmojiWorld;
using UnimoG.Mini.Bench;
using UnimoG.TestSupport;

namespace UnimoG.Mini.Tests;

public class EmojiBenchPromptTests
{
    private static readonly EmojiCatalog Catalog = EmojiCatalog.Default;

    [Theory]
    [InlineData(EmojiBenchSubset.Seen)]
    [InlineData(EmojiBenchSubset.HeldOut)]
    [InlineData(EmojiBenchSubset.Text)]
    public void Prompts_cover_the_five_templates_evenly_over_ten_entities_per_category(EmojiBenchSubset subset)
    {
        var prompts = EmojiBenchPrompts.Generate(Catalog, subset, 23);
        Assert.Equal(23, prompts.Count);
        Assert.Equal(Enumerable.Range(0, 23), prompts.Select(p => p.Index));
        // 23 = 5 x 4 + 3: the first three templates take one more.
        Assert.Equal([5, 5, 5, 4, 4], Enumerable.Range(0, 5).Select(t => prompts.Count(p => p.Template == t)));
        // Interleaved: any five consecutive prompts from the start show every template once.
        Assert.Equal(Enumerable.Range(0, 5), prompts.Take(5).Select(p => p.Template).Order());
        Assert.Equal(23, prompts.Select(p => string.Join(",", p.Entities.Select(e => e.Hex))).Distinct().Count());

        var set = EmojiBenchPrompts.EntitySet(Catalog, subset);
        Assert.All(set.Values, entities => Assert.Equal(EmojiBenchPrompts.EntitiesPerCategory, entities.Length));
        foreach (var p in prompts)
        {
            Category[] expected = p.Relation switch
            {
                Relation.Wear => [Category.Living, Category.Wearing],
                Relation.Play => [Category.Living, Category.Toy],
                Relation.Eat => [Category.Living, Category.Food],
                Relation.WearPlay => [Category.Living, Category.Wearing, Category.Toy],
                _ => [Category.Living, Category.Wearing, Category.Food],
            };
            Assert.Equal(expected, p.Entities.Select(e => e.Category));
            Assert.All(p.Entities, e => Assert.Contains(e, set[e.Category]));
            if (p.Entities.Count > 1 && p.Entities[1].Category == Category.Wearing)
                Assert.True(EmojiBenchPrompts.CanWear(p.Entities[0], p.Entities[1]), $"{p.Entities[0]} cannot wear {p.Entities[1]}");
        }
    }

    [Fact]
    public void Seen_and_held_out_entities_are_never_mixed()
    {
        Assert.All(EmojiBenchPrompts.Generate(Catalog, EmojiBenchSubset.Seen, 200), p => Assert.All(p.Entities, e => Assert.False(e.HeldOut, $"{e} in a seen prompt")));
        Assert.All(EmojiBenchPrompts.Generate(Catalog, EmojiBenchSubset.Text, 200), p => Assert.All(p.Entities, e => Assert.False(e.HeldOut, $"{e} in a text prompt")));
        Assert.All(EmojiBenchPrompts.Generate(Catalog, EmojiBenchSubset.HeldOut, 200), p => Assert.All(p.Entities, e => Assert.True(e.HeldOut, $"{e} in a held-out prompt")));
    }

    [Fact]
    public void The_choice_is_a_function_of_the_seed()
    {
        string Key(IReadOnlyList<EmojiBenchPrompt> ps) => string.Join("|", ps.Select(p => p.Prompt + ":" + string.Join(",", p.Entities.Select(e => e.Hex))));
        var a = EmojiBenchPrompts.Generate(Catalog, EmojiBenchSubset.HeldOut, 15);
        var b = EmojiBenchPrompts.Generate(Catalog, EmojiBenchSubset.HeldOut, 15);
        var c = EmojiBenchPrompts.Generate(Catalog, EmojiBenchSubset.HeldOut, 15, seed: 7);
        Assert.Equal(Key(a), Key(b));
        Assert.NotEqual(Key(a), Key(c));
        // Generation seeds: distinct per prompt and subset, fixed by the run seed.
        var seeds = Enum.GetValues<EmojiBenchSubset>().SelectMany(s => Enumerable.Range(0, 50).Select(i => EmojiBench.PromptSeed(0, s, i))).ToList();
        Assert.Equal(seeds.Count, seeds.Distinct().Count());
        Assert.All(seeds, s => Assert.True(s < 1UL << 63));
        Assert.Equal(EmojiBench.PromptSeed(3, EmojiBenchSubset.Seen, 4), EmojiBench.PromptSeed(3, EmojiBenchSubset.Seen, 4));
    }

    [Fact]
    public void Texts_follow_MultiBench_templates_and_images_replace_exactly_the_entity_names()
    {
        // The template file, each "{x object}" slot an entity phrase (its article, if any, then its name).
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Shared, "benchmarks", "multibench", "prompt_templates.txt"))
            .Where(l => l.Contains('{')).Select(l => l.Trim()).ToArray();
        Assert.Equal(5, lines.Length);
        // The living phrase carries its own article ("a dog", "an owl"), so the template's "a " goes with the slot.
        var patterns = lines.Select(l => new Regex("^" + string.Join("(.+)", Regex.Split(l.Replace("a {living object}", "{living object}"), @"\{\w+ object\}").Select(Regex.Escape)) + "$")).ToArray();
        foreach (var subset in Enum.GetValues<EmojiBenchSubset>())
            foreach (var p in EmojiBenchPrompts.Generate(Catalog, subset, 30))
            {
                var m = patterns[p.Template].Match(p.Text);
                Assert.True(m.Success, $"'{p.Text}' does not follow '{lines[p.Template]}'");
                Assert.Equal(p.Entities.Select(e => e.PhraseEn), m.Groups.Cast<Group>().Skip(1).Select(g => g.Value));
                if (subset == EmojiBenchSubset.Text)
                {
                    Assert.Equal(p.Text, p.Prompt);
                    Assert.Empty(p.ImageEntities);
                    continue;
                }
                // <imgN> in order, one per entity, and putting the names back gives the caption.
                Assert.Equal(p.Entities, p.ImageEntities);
                Assert.Equal(Enumerable.Range(1, p.Entities.Count).Select(n => $"<img{n}>"), Regex.Matches(p.Prompt, @"<img\d+>").Select(x => x.Value));
                var restored = Regex.Replace(p.Prompt, @"<img(\d+)>", x => p.ImageEntities[int.Parse(x.Groups[1].Value) - 1].NameEn);
                Assert.Equal(p.Text, restored);
            }
    }

    [Fact]
    public void The_full_product_counts_wearable_combinations()
    {
        var set = EmojiBenchPrompts.EntitySet(Catalog, EmojiBenchSubset.Seen);
        var wearPairs = set[Category.Living].Sum(l => set[Category.Wearing].Count(w => EmojiBenchPrompts.CanWear(l, w)));
        // Play and eat: 10 x 10 each; the wearing templates: the wearable pairs, times 10 toys or foods for three subjects.
        Assert.Equal(100 + 100 + wearPairs + 10 * wearPairs + 10 * wearPairs, EmojiBenchPrompts.FullSize(Catalog, EmojiBenchSubset.Seen));
        Assert.InRange(wearPairs, 20, 100);
    }
}
