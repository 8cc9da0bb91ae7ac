using System.Globalization;
using UnimoG.Data.Random;
using UnimoG.Imaging;

namespace UnimoG.EmojiWorld;

/// <summary>A composed sample: the plan, the rendering, the captions and the tar members that store it.</summary>
public sealed record ComposedScene(
    string Key,
    ScenePlan Plan,
    IReadOnlyList<Placement> Placements,
    RenderedScene Rendered,
    Caption CaptionEn,
    Caption CaptionZh,
    SampleRecord Record)
{
    public static string LayerName(string key, int index) => $"{key}.layer{index}.png";

    /// <summary>The sample's WebDataset members, in order: {key}.png, {key}.txt, {key}.json, {key}.layer{i}.png.</summary>
    public IEnumerable<(string Name, byte[] Data)> Members()
    {
        yield return ($"{Key}.png", PngEncoder.EncodeRgb(Rendered.Rgb, Sprite.Size, Sprite.Size));
        yield return ($"{Key}.txt", System.Text.Encoding.UTF8.GetBytes(CaptionEn.Text));
        yield return ($"{Key}.json", Record.ToUtf8());
        foreach (var e in Rendered.Entities)
            yield return (LayerName(Key, e.Index), PngEncoder.EncodeRgba(e.Layer, Sprite.Size, Sprite.Size));
    }
}

/// <summary>
/// Composes EmojiWorld scenes: plan (<see cref="ScenePlanner"/>), layout (<see cref="Layout"/>), render
/// (<see cref="SceneRenderer"/>) and caption (<see cref="Captioner"/>), all driven by one generator per
/// scene seeded from (run seed, split, index): scene i is the same whichever other scenes are made, in
/// whatever order or thread.
/// </summary>
public sealed class Composer
{
    /// <summary>An entity must keep at least this share of its own mask visible (and 12 pixels), or the layout is redrawn.</summary>
    public const double MinVisibleShare = 0.3;
    private const int MinVisiblePixels = 12;
    private const int LayoutAttempts = 8;

    private readonly EmojiArt _art;
    private readonly Dictionary<Split, ScenePlanner> _planners = [];

    public EmojiCatalog Catalog { get; }
    public BackgroundCatalog Backgrounds { get; }
    /// <summary>"emoji-datasource-google@16.0.0": the art the scenes are drawn from.</summary>
    public string ArtVersion => $"{EmojiArt.PackageName}@{_art.Version}";

    public Composer(EmojiArt art, EmojiCatalog? catalog = null, BackgroundCatalog? backgrounds = null)
    {
        _art = art;
        Catalog = catalog ?? EmojiCatalog.Default;
        Backgrounds = backgrounds ?? BackgroundCatalog.Default;
        art.Validate(Catalog, Backgrounds);
        foreach (var split in Enum.GetValues<Split>())
            _planners[split] = new ScenePlanner(Catalog, Backgrounds, split, art.Sprite);
    }

    /// <summary>The generator of scene <paramref name="index"/> of a split in a run with <paramref name="seed"/>: a scene depends on these alone.</summary>
    public static SplitMix64 SceneRandom(long seed, Split split, long index) =>
        new(SplitMix64.Mix(SplitMix64.Mix(unchecked((ulong)seed) ^ ((ulong)split + 1) * 0x9E3779B97F4A7C15UL) ^ unchecked((ulong)index)));

    public static string KeyOf(Split split, long index) =>
        $"{split.ToString().ToLowerInvariant()}_{index.ToString("D8", CultureInfo.InvariantCulture)}";

    public ComposedScene Compose(Split split, long seed, long index)
    {
        var rng = SceneRandom(seed, split, index);
        // A plan whose every layout hides an entity too much is replaced by a new plan from the same generator.
        for (var planAttempt = 0; ; planAttempt++)
        {
            var plan = _planners[split].Plan(rng);
            for (var attempt = 0; attempt < LayoutAttempts; attempt++)
            {
                var placements = Layout.Place(plan, _art.Sprite, rng);
                var rendered = SceneRenderer.Render(plan, placements, _art.Sprite);
                if (rendered.Entities.All(e => e.Area >= MinVisiblePixels && e.Area >= MinVisibleShare * e.FullArea))
                    return Finish(split, seed, index, plan, placements, rendered);
            }
            if (planAttempt >= 16)
                throw new InvalidOperationException($"Scene {KeyOf(split, index)}: no layout keeps every entity visible ({string.Join(", ", plan.Entities.Select(e => e.Entity))}).");
        }
    }

    private static ComposedScene Finish(Split split, long seed, long index, ScenePlan plan, IReadOnlyList<Placement> placements, RenderedScene rendered)
    {
        var key = KeyOf(split, index);
        var (en, zh) = Captioner.Build(plan);
        var bg = plan.Background;
        var record = new SampleRecord
        {
            Key = key,
            Split = split.ToString().ToLowerInvariant(),
            Seed = seed,
            Index = index,
            Template = ScenePlan.TemplateId(plan.Relation),
            CaptionEn = en.Text,
            CaptionZh = zh.Text,
            Background = new BackgroundRecord
            {
                Kind = bg.Kind.ToString().ToLowerInvariant(),
                Id = bg.Id,
                NameEn = bg.Kind switch
                {
                    BackgroundKind.Colour => bg.First!.NameEn,
                    BackgroundKind.Gradient => $"{bg.First!.NameEn} and {bg.Second!.NameEn}",
                    _ => bg.Scene!.PhraseEn,
                },
                NameZh = bg.Kind switch
                {
                    BackgroundKind.Colour => bg.First!.NameZh,
                    BackgroundKind.Gradient => $"{bg.First!.NameZh}到{bg.Second!.NameZh}的渐变",
                    _ => bg.Scene!.NameZh,
                },
                Mentioned = bg.Mentioned,
                Colors = bg.Kind switch
                {
                    BackgroundKind.Colour => [Hex(bg.Colour1)],
                    BackgroundKind.Gradient => [Hex(bg.Colour1), Hex(bg.Colour2)],
                    _ => null,
                },
                Angle = bg.Kind == BackgroundKind.Gradient ? bg.AngleDegrees : null,
                Hex = bg.Scene?.Hex,
            },
            Entities = plan.Entities.Select((p, i) =>
            {
                var r = rendered.Entities[i];
                var box = r.Box!.Value;
                return new EntityRecord
                {
                    NameEn = p.Entity.NameEn,
                    NameZh = p.Entity.NameZh,
                    Category = p.Entity.Category.ToString().ToLowerInvariant(),
                    Kind = p.Entity.Kind.ToString().ToLowerInvariant(),
                    Role = p.Role.ToString().ToLowerInvariant(),
                    Hex = p.Entity.Hex,
                    HeldOut = p.Entity.HeldOut,
                    SpanEn = [en.Spans[i].Start, en.Spans[i].End],
                    SpanZh = [zh.Spans[i].Start, zh.Spans[i].End],
                    Box = [box.X0, box.Y0, box.X1, box.Y1],
                    Area = r.Area,
                    Z = r.Z,
                    Layer = ComposedScene.LayerName(key, i),
                };
            }).ToList(),
        };
        return new ComposedScene(key, plan, placements, rendered, en, zh, record);
    }

    private static string Hex((byte R, byte G, byte B) c) => $"#{c.R:X2}{c.G:X2}{c.B:X2}";
}
