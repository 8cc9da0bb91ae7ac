using UnimoG.Data.Random;
using UnimoG.EmojiWorld;

namespace UnimoG.Mini.Bench;

/// <summary>
/// Calibration rows, scored exactly like a model's images so readers can read the scale:
/// <list type="bullet">
/// <item><b>oracle</b>: real EmojiWorld scenes of each prompt (its entities laid out by the composer's rules for its
/// relation, on a random flat colour or scenery background): what a perfect EmojiWorld generator would score.</item>
/// <item><b>random</b>: random EmojiWorld scenes of the same split, unrelated to the prompt: the floor of a generator
/// that draws plausible emoji scenes but ignores the prompt.</item>
/// </list>
/// Both are deterministic from the prompt seed.
/// </summary>
public static class EmojiBenchCalibration
{
    public const string Oracle = "oracle";
    public const string Random = "random";

    /// <summary>Per calibration source, per prompt, <paramref name="perPrompt"/> 64x64 RGB scenes.</summary>
    public static IEnumerable<(string Source, IReadOnlyList<IReadOnlyList<byte[]>> Scenes)> Scenes(
        EmojiArt art, EmojiCatalog catalog, EmojiBenchSubset subset, IReadOnlyList<EmojiBenchPrompt> prompts, int perPrompt, ulong seed)
    {
        var backgrounds = BackgroundCatalog.Default;
        yield return (Oracle, prompts.Select(p => (IReadOnlyList<byte[]>)Enumerable.Range(0, perPrompt)
            .Select(j => OracleScene(art, backgrounds, p, new SplitMix64(EmojiBenchPrompts.Mix(seed, 1000 + (ulong)subset, (ulong)(p.Index * perPrompt + j))))).ToList()).ToList());
        var composer = new Composer(art, catalog, backgrounds);
        var split = subset == EmojiBenchSubset.HeldOut ? Split.Bench : Split.Train;
        var sceneSeed = (long)(EmojiBenchPrompts.Mix(seed, 2000 + (ulong)subset, 0) >> 1);
        yield return (Random, prompts.Select(p => (IReadOnlyList<byte[]>)Enumerable.Range(0, perPrompt)
            .Select(j => composer.Compose(split, sceneSeed, p.Index * perPrompt + j).Rendered.Rgb).ToList()).ToList());
    }

    /// <summary>One scene of the prompt's entities: the composer's layout rules, redrawn (up to 8 times) until every entity keeps 30 % of itself visible.</summary>
    public static byte[] OracleScene(EmojiArt art, BackgroundCatalog backgrounds, EmojiBenchPrompt p, SplitMix64 rng)
    {
        var entities = p.Entities.Select((e, i) => new PlannedEntity(e, i == 0 ? Role.Subject : e.Category == Category.Wearing ? Role.Worn : Role.Beside)).ToList();
        BackgroundPlan background;
        if (rng.Chance(0.5))
        {
            var c = rng.Pick(backgrounds.Colours);
            background = new BackgroundPlan(BackgroundKind.Colour, c, null, (c.R, c.G, c.B), (c.R, c.G, c.B), 0, null, false);
        }
        else
        {
            background = new BackgroundPlan(BackgroundKind.Scene, null, null, default, default, 0, rng.Pick(backgrounds.Scenes), false);
        }
        var plan = new ScenePlan(p.Relation, entities, background);
        RenderedScene? scene = null;
        for (var attempt = 0; attempt < 8; attempt++)
        {
            scene = SceneRenderer.Render(plan, Layout.Place(plan, art.Sprite, rng), art.Sprite);
            if (scene.Entities.All(e => e.Area >= Composer.MinVisibleShare * e.FullArea)) break;
        }
        return scene!.Rgb;
    }
}
