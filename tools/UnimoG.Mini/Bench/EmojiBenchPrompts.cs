using UnimoG.Data.Random;
using UnimoG.EmojiWorld;

namespace UnimoG.Mini.Bench;

/// <summary>One EmojiBench prompt.</summary>
/// <param name="Index">Position within its subset (the generation seeds derive from it).</param>
/// <param name="Relation">Which of MultiBench's five templates (Wear .. WearEat).</param>
/// <param name="Entities">Caption order: the living subject, then the worn item, then the toy or food.</param>
/// <param name="Prompt">What the generator receives: <c>a &lt;img1&gt; wearing &lt;img2&gt;</c> (multimodal) or the caption (text).</param>
/// <param name="Text">The caption with every entity named (<c>a dog wearing sunglasses</c>): CLIP-T's text.</param>
/// <param name="ImageEntities">The entities the prompt shows as images, in &lt;imgN&gt; order (none for text prompts).</param>
public sealed record EmojiBenchPrompt(EmojiBenchSubset Subset, int Index, Relation Relation, IReadOnlyList<Entity> Entities,
    string Prompt, string Text, IReadOnlyList<Entity> ImageEntities)
{
    /// <summary>0-based line of MultiBench's template file: wear, play, eat, wear+play, wear+eat.</summary>
    public int Template => (int)Relation - 1;
}

/// <summary>
/// MultiBench's protocol over emoji. Per category (living, wearing, toy, food) a fixed set of
/// <see cref="EntitiesPerCategory"/> entities, seen (the <c>train</c> split) or held out (the <c>bench</c> split),
/// never mixed; the five templates over every combination of them in which the living entity can wear the worn item
/// (what EmojiWorld can draw, so the oracle row exists); a seeded random subset, balanced over the templates. The
/// multimodal prompt is the caption with each entity name replaced by <c>&lt;imgN&gt;</c>, exactly as data
/// preparation builds stage 2's prompts (the article stays: <c>a &lt;img1&gt; wearing &lt;img2&gt; is eating a
/// &lt;img3&gt;</c>); text prompts are the captions themselves, over the seen entities.
/// </summary>
public static class EmojiBenchPrompts
{
    public const int EntitiesPerCategory = 10;
    /// <summary>The default prompt choice (keep it to compare models on the same prompts).</summary>
    public const ulong DefaultSeed = 20240116;
    /// <summary>Prompts per subset by default: sized so three models x three subsets run in about 15 minutes on 2 CPU cores (docs/emojibench.md).</summary>
    public const int DefaultLimit = 10;

    public static readonly Relation[] Templates = [Relation.Wear, Relation.Play, Relation.Eat, Relation.WearPlay, Relation.WearEat];

    /// <summary>The fixed entity set of a subset: <see cref="EntitiesPerCategory"/> per category (fewer only if the split has fewer), a seeded choice.</summary>
    public static IReadOnlyDictionary<Category, Entity[]> EntitySet(EmojiCatalog catalog, EmojiBenchSubset subset, ulong seed = DefaultSeed)
    {
        var split = subset == EmojiBenchSubset.HeldOut ? Split.Bench : Split.Train;
        var result = new Dictionary<Category, Entity[]>();
        foreach (var category in Enum.GetValues<Category>())
        {
            var pool = catalog.In(category, split).OrderBy(e => e.Hex, StringComparer.Ordinal).ToArray();
            if (pool.Length == 0) throw new InvalidOperationException($"the catalog has no {split} entities of category {category}");
            var rng = new SplitMix64(Mix(seed, (ulong)split + 1, (ulong)category + 1));
            Shuffle(pool, rng);
            result[category] = pool.Take(EntitiesPerCategory).ToArray();
        }
        return result;
    }

    /// <summary>Every prompt of a subset's full product, per template in template order (before the random choice).</summary>
    public static IReadOnlyList<Entity[]> Combinations(IReadOnlyDictionary<Category, Entity[]> set, Relation relation)
    {
        var list = new List<Entity[]>();
        var wears = relation is Relation.Wear or Relation.WearPlay or Relation.WearEat;
        var beside = relation switch
        {
            Relation.Play or Relation.WearPlay => set[Category.Toy],
            Relation.Eat or Relation.WearEat => set[Category.Food],
            _ => null,
        };
        foreach (var living in set[Category.Living])
        {
            var worn = wears ? set[Category.Wearing].Where(w => CanWear(living, w)).Select(w => (Entity?)w).ToArray() : [null];
            foreach (var w in worn)
                foreach (var b in beside ?? [null!])
                {
                    var entities = new List<Entity> { living };
                    if (w is not null) entities.Add(w);
                    if (b is not null) entities.Add(b);
                    list.Add(entities.ToArray());
                }
        }
        return list;
    }

    /// <summary>
    /// The subset's prompts: <paramref name="limit"/> of them, spread over the five templates as evenly as possible
    /// (the first templates take the remainder), each template's share drawn without replacement from its
    /// combinations by a generator seeded with (seed, subset, template). The same arguments give the same prompts.
    /// </summary>
    public static IReadOnlyList<EmojiBenchPrompt> Generate(EmojiCatalog catalog, EmojiBenchSubset subset, int limit, ulong seed = DefaultSeed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var set = EntitySet(catalog, subset, seed);
        var chosen = new List<(Relation Relation, Entity[] Entities)>();
        for (var t = 0; t < Templates.Length; t++)
        {
            var share = limit / Templates.Length + (t < limit % Templates.Length ? 1 : 0);
            var all = Combinations(set, Templates[t]).ToArray();
            var rng = new SplitMix64(Mix(seed, (ulong)subset + 101, (ulong)t + 1));
            Shuffle(all, rng);
            chosen.AddRange(all.Take(share).Select(e => (Templates[t], e)));
        }
        // Interleave templates, so a prefix of the list (a smaller --limit run, a grid) covers them all.
        var ordered = chosen.Select((c, i) => (c, key: RankWithinTemplate(chosen, i))).OrderBy(x => x.key).ThenBy(x => x.c.Relation).Select(x => x.c).ToList();
        return ordered.Select((c, i) => Build(subset, i, c.Relation, c.Entities)).ToList();
    }

    /// <summary>Full product size of a subset (MultiBench's 2,300 with 10 entities per category and no wearing constraint).</summary>
    public static int FullSize(EmojiCatalog catalog, EmojiBenchSubset subset, ulong seed = DefaultSeed)
    {
        var set = EntitySet(catalog, subset, seed);
        return Templates.Sum(t => Combinations(set, t).Count);
    }

    public static EmojiBenchPrompt Build(EmojiBenchSubset subset, int index, Relation relation, IReadOnlyList<Entity> entities)
    {
        var roles = entities.Select((e, i) => new PlannedEntity(e, i == 0 ? Role.Subject : e.Category == Category.Wearing ? Role.Worn : Role.Beside)).ToList();
        var colour = BackgroundCatalog.Default.Colours[0];
        var plan = new ScenePlan(relation, roles, new BackgroundPlan(BackgroundKind.Colour, colour, null, default, default, 0, null, Mentioned: false));
        var (caption, _) = Captioner.Build(plan);
        if (subset == EmojiBenchSubset.Text)
            return new EmojiBenchPrompt(subset, index, relation, entities, caption.Text, caption.Text, []);
        // Each entity name (its span, without the article) becomes <imgN>, numbered in caption order.
        var prompt = new System.Text.StringBuilder();
        var cursor = 0;
        var order = caption.Spans.Select((s, i) => (s, i)).OrderBy(x => x.s.Start).ToList();
        var shown = new List<Entity>();
        foreach (var (span, i) in order)
        {
            prompt.Append(caption.Text[cursor..span.Start]).Append($"<img{shown.Count + 1}>");
            shown.Add(entities[i]);
            cursor = span.End;
        }
        prompt.Append(caption.Text[cursor..]);
        return new EmojiBenchPrompt(subset, index, relation, entities, prompt.ToString(), caption.Text, shown);
    }

    public static bool CanWear(Entity living, Entity worn) => living.Anchors?.Wears.Contains(worn.Kind) == true;

    private static int RankWithinTemplate(List<(Relation Relation, Entity[] Entities)> chosen, int i) =>
        chosen.Take(i).Count(c => c.Relation == chosen[i].Relation);

    private static void Shuffle<T>(T[] items, SplitMix64 rng)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    internal static ulong Mix(ulong a, ulong b, ulong c)
    {
        var p = new SplitMix64(a ^ (b * 0x9E3779B97F4A7C15UL));
        return new SplitMix64(p.NextUInt64() ^ (c * 0xBF58476D1CE4E5B9UL)).NextUInt64();
    }
}
