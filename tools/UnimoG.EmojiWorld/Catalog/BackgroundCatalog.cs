using System.Globalization;

namespace UnimoG.EmojiWorld;

public enum BackgroundKind { Colour, Gradient, Scene }

/// <summary>A named flat colour (sRGB bytes) the composer paints or blends into gradients.</summary>
public sealed record NamedColour(string Id, byte R, byte G, byte B, string NameEn, string NameZh);

/// <summary>A full-square scenery emoji used as a backdrop, with the caption phrases that mention it.</summary>
public sealed record Scenery(string Id, string Hex, string PhraseEn, string NameZh);

/// <summary>The curated backgrounds (<c>catalog/backgrounds.tsv</c>, embedded): colours and scenery emoji.</summary>
public sealed class BackgroundCatalog
{
    private static readonly string[] Columns = ["kind", "id", "value", "en", "zh"];

    private static readonly Lazy<BackgroundCatalog> LazyDefault = new(() =>
    {
        using var reader = new StreamReader(EmojiCatalog.OpenResource("EmojiWorld.backgrounds.tsv"));
        return Parse(reader.ReadToEnd(), "backgrounds.tsv");
    });

    public IReadOnlyList<NamedColour> Colours { get; }
    public IReadOnlyList<Scenery> Scenes { get; }

    private BackgroundCatalog(IReadOnlyList<NamedColour> colours, IReadOnlyList<Scenery> scenes)
    {
        Colours = colours;
        Scenes = scenes;
    }

    public static BackgroundCatalog Default => LazyDefault.Value;

    public static BackgroundCatalog Parse(string text, string source)
    {
        var colours = new List<NamedColour>();
        var scenes = new List<Scenery>();
        var header = false;
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var where = $"{source} line {n + 1}";
            var c = line.Split('\t');
            if (!header)
            {
                if (!c.SequenceEqual(Columns))
                    throw new InvalidDataException($"{where}: the header must be the columns {string.Join(", ", Columns)}.");
                header = true;
                continue;
            }
            if (c.Length != Columns.Length || c.Any(s => s.Trim().Length == 0))
                throw new InvalidDataException($"{where}: expected {Columns.Length} non-empty tab-separated cells.");
            switch (c[0])
            {
                case "colour":
                    var v = c[2];
                    if (v.Length != 7 || v[0] != '#' || !uint.TryParse(v.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var rgb))
                        throw new InvalidDataException($"{where}: colour value '{v}' must be #RRGGBB.");
                    colours.Add(new NamedColour(c[1], (byte)(rgb >> 16), (byte)(rgb >> 8), (byte)rgb, c[3], c[4]));
                    break;
                case "scene":
                    scenes.Add(new Scenery(c[1], c[2].ToUpperInvariant(), c[3], c[4]));
                    break;
                default:
                    throw new InvalidDataException($"{where}: kind '{c[0]}' must be colour or scene.");
            }
        }
        if (colours.Count < 2 || scenes.Count == 0)
            throw new InvalidDataException($"{source}: needs at least two colours and one scene.");
        foreach (var dup in colours.Select(x => x.Id).Concat(scenes.Select(x => x.Id)).GroupBy(x => x).Where(g => g.Count() > 1))
            throw new InvalidDataException($"{source}: id '{dup.Key}' is used twice.");
        return new BackgroundCatalog(colours, scenes);
    }
}
