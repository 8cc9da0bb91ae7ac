using UnimoG.Data.Random;

namespace UnimoG.EmojiWorld;

/// <summary>
/// Draws a <see cref="ScenePlan"/> from a scene's generator: a relation (MultiBench's five plus single
/// entities), entities of the split that fit it (worn items only of kinds the wearer can wear), and a
/// background whose colour does not match the subject.
/// </summary>
public sealed class ScenePlanner
{
    // Single, Wear, Play, Eat, WearPlay, WearEat.
    private static readonly double[] RelationWeights = [0.20, 0.20, 0.15, 0.15, 0.15, 0.15];
    // Colour, Gradient, Scene.
    private static readonly double[] BackgroundWeights = [0.35, 0.25, 0.40];
    /// <summary>Chance that a caption names its background ("... on a red background").</summary>
    public const double MentionBackground = 0.5;
    /// <summary>Flat colours closer than this (RGB Euclidean, 0-255) to the subject's mean colour are redrawn.</summary>
    private const float MinContrast = 90f;
    private const int ColourJitter = 10;

    private readonly Split _split;
    private readonly BackgroundCatalog _backgrounds;
    private readonly Func<string, Sprite> _sprite;
    private readonly Entity[] _living, _wearing, _toys, _food;

    public ScenePlanner(EmojiCatalog catalog, BackgroundCatalog backgrounds, Split split, Func<string, Sprite> sprite)
    {
        _split = split;
        _backgrounds = backgrounds;
        _sprite = sprite;
        _living = catalog.In(Category.Living, split).ToArray();
        _wearing = catalog.In(Category.Wearing, split).ToArray();
        _toys = catalog.In(Category.Toy, split).ToArray();
        _food = catalog.In(Category.Food, split).ToArray();
        if (_living.Length == 0 || _wearing.Length == 0 || _toys.Length == 0 || _food.Length == 0)
            throw new InvalidOperationException($"Split {split} lacks entities of some category.");
    }

    public ScenePlan Plan(SplitMix64 rng)
    {
        var relation = (Relation)rng.PickWeighted(RelationWeights);
        var entities = new List<PlannedEntity>();
        if (relation == Relation.Single)
        {
            // Half the single-entity scenes show a living thing, the rest a wearing item, toy or food alone.
            var pool = rng.Chance(0.5) ? _living : rng.Pick([_wearing, _toys, _food]);
            entities.Add(new PlannedEntity(rng.Pick(pool), Role.Subject));
        }
        else
        {
            var wears = relation is Relation.Wear or Relation.WearPlay or Relation.WearEat;
            var living = PickLiving(rng, wears);
            entities.Add(new PlannedEntity(living, Role.Subject));
            if (wears)
            {
                var fits = _wearing.Where(w => living.Anchors!.Wears.Contains(w.Kind)).ToArray();
                entities.Add(new PlannedEntity(rng.Pick(fits), Role.Worn));
            }
            if (relation is Relation.Play or Relation.WearPlay)
                entities.Add(new PlannedEntity(rng.Pick(_toys), Role.Beside));
            if (relation is Relation.Eat or Relation.WearEat)
                entities.Add(new PlannedEntity(rng.Pick(_food), Role.Beside));
        }
        return new ScenePlan(relation, entities, PlanBackground(rng, _sprite(entities[0].Entity.Hex)));
    }

    private Entity PickLiving(SplitMix64 rng, bool wears)
    {
        if (!wears) return rng.Pick(_living);
        // Only wearers with at least one wearable item of this split.
        var wearers = _living.Where(l => _wearing.Any(w => l.Anchors!.Wears.Contains(w.Kind))).ToArray();
        if (wearers.Length == 0)
            throw new InvalidOperationException($"Split {_split}: no living entity can wear any of its wearing items.");
        return rng.Pick(wearers);
    }

    private BackgroundPlan PlanBackground(SplitMix64 rng, Sprite subject)
    {
        var kind = (BackgroundKind)rng.PickWeighted(BackgroundWeights);
        var mentioned = rng.Chance(MentionBackground);
        if (kind == BackgroundKind.Scene)
            return new BackgroundPlan(kind, null, null, default, default, 0, rng.Pick(_backgrounds.Scenes), mentioned);
        var first = PickColour(rng, subject, null);
        var c1 = Jitter(rng, first);
        if (kind == BackgroundKind.Colour)
            return new BackgroundPlan(kind, first, null, c1, c1, 0, null, mentioned);
        var second = PickColour(rng, subject, first);
        return new BackgroundPlan(kind, first, second, c1, Jitter(rng, second), 45 * rng.NextInt(8), null, mentioned);
    }

    private NamedColour PickColour(SplitMix64 rng, Sprite subject, NamedColour? not)
    {
        var (r, g, b) = subject.MeanColour;
        var ok = _backgrounds.Colours.Where(c => c != not && Distance(c, r, g, b) >= MinContrast).ToArray();
        // Every colour is close to the subject only for grey-ish subjects; then any other colour will do.
        return rng.Pick(ok.Length > 0 ? ok : _backgrounds.Colours.Where(c => c != not).ToArray());
    }

    private static float Distance(NamedColour c, float r, float g, float b) =>
        MathF.Sqrt((c.R - r) * (c.R - r) + (c.G - g) * (c.G - g) + (c.B - b) * (c.B - b));

    private static (byte, byte, byte) Jitter(SplitMix64 rng, NamedColour c)
    {
        byte J(byte v) => (byte)Math.Clamp(v + rng.NextInt(2 * ColourJitter + 1) - ColourJitter, 0, 255);
        return (J(c.R), J(c.G), J(c.B));
    }
}
