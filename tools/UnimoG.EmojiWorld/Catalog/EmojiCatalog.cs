using System.Globalization;
using System.Reflection;

namespace UnimoG.EmojiWorld;

/// <summary>
/// The curated entity table (<c>catalog/entities.tsv</c>, embedded in this assembly): which emoji EmojiWorld
/// uses, their English and Chinese names, category, held-out flag and layout anchors.
/// </summary>
public sealed class EmojiCatalog
{
    public const int MinHeldOutPerCategory = 10;

    /// <summary>
    /// Where in emoji.json each category may draw from ("Category / subcategory"). Everything else is denied:
    /// flags, symbols, skin-tone components, drinks and dishware, hands and body parts, faces and hearts.
    /// </summary>
    public static readonly IReadOnlyDictionary<Category, string[]> AllowedSources = new Dictionary<Category, string[]>
    {
        [Category.Living] =
        [
            "People & Body / person", "People & Body / person-role", "People & Body / person-fantasy",
            "Animals & Nature / animal-mammal", "Animals & Nature / animal-bird", "Animals & Nature / animal-amphibian",
            "Animals & Nature / animal-reptile", "Animals & Nature / animal-marine", "Smileys & Emotion / face-costume",
        ],
        [Category.Wearing] =
        [
            "Objects / clothing", "Objects / music", "Activities / event", "Activities / sport",
        ],
        [Category.Toy] =
        [
            "Activities / game", "Activities / sport", "Activities / event", "Activities / arts & crafts",
            "Objects / musical-instrument", "Travel & Places / transport-ground",
        ],
        [Category.Food] =
        [
            "Food & Drink / food-fruit", "Food & Drink / food-vegetable", "Food & Drink / food-prepared",
            "Food & Drink / food-asian", "Food & Drink / food-sweet",
        ],
    };

    private static readonly string[] Columns =
        ["hex", "category", "kind", "en", "article", "zh", "zh_cl", "zh_verb", "held_out", "layout"];

    private static readonly Lazy<EmojiCatalog> LazyDefault = new(() =>
    {
        using var reader = new StreamReader(OpenResource("EmojiWorld.entities.tsv"));
        return Parse(reader.ReadToEnd(), "entities.tsv");
    });

    public IReadOnlyList<Entity> Entities { get; }
    private readonly Dictionary<string, Entity> _byHex;

    private EmojiCatalog(IReadOnlyList<Entity> entities)
    {
        Entities = entities;
        _byHex = entities.ToDictionary(e => e.Hex, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The committed catalog.</summary>
    public static EmojiCatalog Default => LazyDefault.Value;

    public static EmojiCatalog Load(string path) => Parse(File.ReadAllText(path), path);

    public Entity this[string hex] =>
        _byHex.TryGetValue(hex, out var e) ? e : throw new KeyNotFoundException($"No entity with hex code '{hex}' in the EmojiWorld catalog.");

    public IEnumerable<Entity> In(Category category, Split split) =>
        Entities.Where(e => e.Category == category && e.InSplit(split));

    internal static Stream OpenResource(string name) =>
        Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"Embedded resource {name} is missing from UnimoG.EmojiWorld.");

    public static EmojiCatalog Parse(string text, string source)
    {
        var entities = new List<Entity>();
        var lines = text.Split('\n');
        var header = false;
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var where = $"{source} line {n + 1}";
            var cells = line.Split('\t');
            if (!header)
            {
                if (!cells.SequenceEqual(Columns))
                    throw new InvalidDataException($"{where}: the header must be the columns {string.Join(", ", Columns)}.");
                header = true;
                continue;
            }
            if (cells.Length != Columns.Length)
                throw new InvalidDataException($"{where}: expected {Columns.Length} tab-separated cells, found {cells.Length}.");
            entities.Add(ParseRow(cells, where));
        }
        if (!header)
            throw new InvalidDataException($"{source}: no header row.");
        Validate(entities, source);
        return new EmojiCatalog(entities);
    }

    private static Entity ParseRow(string[] c, string where)
    {
        string Cell(int i) => c[i].Trim();
        var hex = Cell(0).ToUpperInvariant();
        if (hex.Length == 0 || !hex.Split('-').All(p => p.Length is >= 4 and <= 6 && p.All(Uri.IsHexDigit)))
            throw new InvalidDataException($"{where}: hex '{c[0]}' is not an emoji code such as 1F436 or 1F43B-200D-2744-FE0F.");
        var category = ParseEnum<Category>(Cell(1), "category", where);
        var kind = ParseEnum<Kind>(Cell(2), "kind", where);
        var allowed = category switch
        {
            Category.Living => [Kind.Face, Kind.Bust, Kind.Body],
            Category.Wearing => [Kind.Hat, Kind.Glasses, Kind.Top, Kind.Neck, Kind.Bag],
            Category.Toy => new[] { Kind.Toy },
            _ => [Kind.Food],
        };
        if (!allowed.Contains(kind))
            throw new InvalidDataException($"{where}: kind '{Cell(2)}' does not fit category '{Cell(1)}' (expected {string.Join("|", allowed).ToLowerInvariant()}).");
        var en = Cell(3);
        var article = Cell(4);
        if (en.Length == 0) throw new InvalidDataException($"{where}: column en is empty.");
        if (article is not ("" or "a" or "an")) throw new InvalidDataException($"{where}: article '{article}' must be a, an or empty.");
        var zh = Cell(5);
        if (zh.Length == 0) throw new InvalidDataException($"{where}: column zh is empty.");
        var classifier = Cell(6) is "-" or "" ? null : Cell(6);
        var verb = Cell(7) is "-" or "" ? null : Cell(7);
        if ((category == Category.Wearing) != (verb is not null))
            throw new InvalidDataException($"{where}: zh_verb must be given for wearing entities and '-' for the others.");
        var heldOut = Cell(8) switch
        {
            "0" => false,
            "1" => true,
            var v => throw new InvalidDataException($"{where}: held_out '{v}' must be 0 or 1."),
        };
        var layout = ParseLayout(Cell(9), where);
        LivingAnchors? anchors = null;
        WearFit? fit = null;
        if (category == Category.Living)
        {
            var head = BoxOf(layout, "head", where) ?? throw new InvalidDataException($"{where}: living entities need head=x0,y0,x1,y1.");
            var eyes = Number(layout, "eyes", where) ?? throw new InvalidDataException($"{where}: living entities need eyes=y.");
            var body = BoxOf(layout, "body", where);
            if (kind != Kind.Face && body is null)
                throw new InvalidDataException($"{where}: {kind.ToString().ToLowerInvariant()} entities need body=x0,y0,x1,y1.");
            var wears = layout.TryGetValue("wear", out var w) && w.Length > 0
                ? w.Split(',').Select(k => ParseEnum<Kind>(k, "wear", where)).ToHashSet()
                : [];
            if (wears.Any(k => k is not (Kind.Hat or Kind.Glasses or Kind.Top or Kind.Neck or Kind.Bag)))
                throw new InvalidDataException($"{where}: wear lists worn kinds (hat,glasses,top,neck,bag).");
            if (kind == Kind.Face && wears.Contains(Kind.Bag))
                throw new InvalidDataException($"{where}: a face has no shoulder to hang a bag on; remove bag from wear.");
            if (eyes < head.Y0 || eyes > head.Y1)
                throw new InvalidDataException($"{where}: eyes={eyes} lies outside the head box {head}.");
            anchors = new LivingAnchors(head, eyes, body, wears);
        }
        else if (category == Category.Wearing)
        {
            float Need(string key) => Number(layout, key, where)
                ?? throw new InvalidDataException($"{where}: {kind.ToString().ToLowerInvariant()} items need {key}=number.");
            fit = kind switch
            {
                Kind.Hat => new WearFit(Need("w"), Need("sink"), 0, 0),
                Kind.Glasses => new WearFit(Need("w"), 0, Need("ey"), 0),
                Kind.Top or Kind.Neck => new WearFit(Need("w"), 0, 0, 0),
                _ => new WearFit(0, 0, 0, Need("h")),
            };
        }
        else if (layout.Count > 0)
        {
            throw new InvalidDataException($"{where}: toys and food take no layout ({string.Join(", ", layout.Keys)}).");
        }
        return new Entity(hex, category, kind, en, article, zh, classifier, verb, heldOut, anchors, fit);
    }

    private static void Validate(List<Entity> entities, string source)
    {
        foreach (var dup in entities.GroupBy(e => e.Hex).Where(g => g.Count() > 1))
            throw new InvalidDataException($"{source}: hex {dup.Key} appears {dup.Count()} times.");
        foreach (var dup in entities.GroupBy(e => e.NameEn, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            throw new InvalidDataException($"{source}: English name '{dup.Key}' is used by {string.Join(", ", dup.Select(e => e.Hex))}.");
        foreach (var dup in entities.GroupBy(e => e.NameZh).Where(g => g.Count() > 1))
            throw new InvalidDataException($"{source}: Chinese name '{dup.Key}' is used by {string.Join(", ", dup.Select(e => e.Hex))}.");
        foreach (var category in Enum.GetValues<Category>())
        {
            var held = entities.Count(e => e.Category == category && e.HeldOut);
            var seen = entities.Count(e => e.Category == category && !e.HeldOut);
            if (held < MinHeldOutPerCategory)
                throw new InvalidDataException($"{source}: category {category} holds out {held} entities; at least {MinHeldOutPerCategory} are required.");
            if (seen == 0)
                throw new InvalidDataException($"{source}: category {category} has no seen (held_out=0) entity.");
        }
    }

    private static Dictionary<string, string> ParseLayout(string text, string where)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) throw new InvalidDataException($"{where}: layout item '{part}' is not key=value.");
            if (!map.TryAdd(part[..eq], part[(eq + 1)..]))
                throw new InvalidDataException($"{where}: layout key '{part[..eq]}' is given twice.");
        }
        var known = new[] { "head", "eyes", "body", "wear", "w", "sink", "ey", "h" };
        foreach (var key in map.Keys.Where(k => !known.Contains(k)))
            throw new InvalidDataException($"{where}: unknown layout key '{key}' (known: {string.Join(", ", known)}).");
        return map;
    }

    private static float? Number(Dictionary<string, string> layout, string key, string where)
    {
        if (!layout.TryGetValue(key, out var v)) return null;
        return float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && float.IsFinite(f)
            ? f
            : throw new InvalidDataException($"{where}: layout {key}='{v}' is not a number.");
    }

    private static Box? BoxOf(Dictionary<string, string> layout, string key, string where)
    {
        if (!layout.TryGetValue(key, out var v)) return null;
        var p = v.Split(',');
        var nums = p.Select(s => float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) ? f : float.NaN).ToArray();
        if (nums.Length != 4 || nums.Any(float.IsNaN))
            throw new InvalidDataException($"{where}: layout {key}='{v}' must be four numbers x0,y0,x1,y1.");
        var box = new Box(nums[0], nums[1], nums[2], nums[3]);
        if (box.Width <= 0 || box.Height <= 0 || box.X0 < 0 || box.Y0 < 0 || box.X1 > Sprite.Size || box.Y1 > Sprite.Size)
            throw new InvalidDataException($"{where}: layout {key}={v} must be a non-empty box inside the {Sprite.Size}x{Sprite.Size} sprite.");
        return box;
    }

    private static T ParseEnum<T>(string text, string column, string where) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var v) && !int.TryParse(text, out _)
            ? v
            : throw new InvalidDataException($"{where}: {column} '{text}' is not one of {string.Join("|", Enum.GetNames<T>()).ToLowerInvariant()}.");
}
