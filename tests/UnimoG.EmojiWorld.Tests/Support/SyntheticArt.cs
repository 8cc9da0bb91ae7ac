using System.Text.Json;
using UnimoG.Imaging;

namespace UnimoG.EmojiWorld.Tests;

/// <summary>
/// A fake emoji-datasource-google folder made in the test: for every catalog emoji a 64x64 PNG of flat,
/// fully opaque shapes in one colour per emoji (a living sprite is an ellipse on its curated head box plus
/// a rectangle on its torso box; other items are rectangles or discs), and a full-square scenery picture
/// inside a 2-pixel transparent border. Flat colours make every rendered colour predictable.
/// </summary>
public sealed class SyntheticArt : IDisposable
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "emojiworld-art-" + Guid.NewGuid().ToString("N"));

    public SyntheticArt()
    {
        var images = Path.Combine(Folder, "img", "google", "64");
        Directory.CreateDirectory(images);
        var rows = new List<Dictionary<string, object>>();
        foreach (var e in EmojiCatalog.Default.Entities)
            Add(e.Hex, Draw(e));
        foreach (var s in BackgroundCatalog.Default.Scenes)
            Add(s.Hex, Fill(ColourOf(s.Hex), (x, y) => x is >= 2 and < 62 && y is >= 2 and < 62));
        File.WriteAllText(Path.Combine(Folder, "emoji.json"), JsonSerializer.Serialize(rows));
        File.WriteAllText(Path.Combine(Folder, "package.json"), """{ "name": "emoji-datasource-google", "version": "synthetic" }""");

        void Add(string hex, byte[] rgba)
        {
            var image = hex.ToLowerInvariant() + ".png";
            File.WriteAllBytes(Path.Combine(images, image), PngEncoder.EncodeRgba(rgba, 64, 64));
            rows.Add(new() { ["unified"] = hex, ["image"] = image, ["has_img_google"] = true });
        }
    }

    public EmojiArt Open() => EmojiArt.Open(Folder);

    /// <summary>The flat colour every pixel of this emoji's sprite has.</summary>
    public static (byte R, byte G, byte B) ColourOf(string hex)
    {
        var h = Fnv(hex);
        return ((byte)(40 + h % 180), (byte)(40 + (h >> 8) % 180), (byte)(40 + (h >> 16) % 180));
    }

    private static uint Fnv(string s)
    {
        var h = 2166136261u;
        foreach (var c in s) h = (h ^ c) * 16777619u;
        return h;
    }

    private static byte[] Draw(Entity e) => e.Kind switch
    {
        Kind.Face or Kind.Bust or Kind.Body => Fill(ColourOf(e.Hex), (x, y) =>
        {
            var h = e.Anchors!.Head;
            float dx = (x + 0.5f - h.CenterX) / (h.Width / 2), dy = (y + 0.5f - h.CenterY) / (h.Height / 2);
            var inHead = dx * dx + dy * dy <= 1;
            var inBody = e.Anchors.Body is { } b && x >= b.X0 && x < b.X1 && y >= b.Y0 && y < b.Y1;
            return inHead || inBody;
        }),
        Kind.Hat => Rect(e, 12, 18, 52, 46),
        Kind.Glasses => Rect(e, 6, 24, 58, 40),
        Kind.Top => Rect(e, 10, 8, 54, 58),
        Kind.Neck => Rect(e, 16, 10, 48, 54),
        Kind.Bag => Rect(e, 14, 14, 50, 54),
        _ => Fill(ColourOf(e.Hex), (x, y) => (x - 31.5f) * (x - 31.5f) + (y - 31.5f) * (y - 31.5f) <= 24 * 24),
    };

    private static byte[] Rect(Entity e, int x0, int y0, int x1, int y1) =>
        Fill(ColourOf(e.Hex), (x, y) => x >= x0 && x < x1 && y >= y0 && y < y1);

    private static byte[] Fill((byte R, byte G, byte B) c, Func<int, int, bool> inside)
    {
        var rgba = new byte[64 * 64 * 4];
        for (var y = 0; y < 64; y++)
        for (var x = 0; x < 64; x++)
        {
            if (!inside(x, y)) continue;
            var i = (y * 64 + x) * 4;
            rgba[i] = c.R; rgba[i + 1] = c.G; rgba[i + 2] = c.B; rgba[i + 3] = 255;
        }
        return rgba;
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>One synthetic art folder and composer shared by a test class.</summary>
public sealed class SyntheticArtFixture : IDisposable
{
    public SyntheticArt Art { get; } = new();
    public EmojiArt Emoji { get; }
    public Composer Composer { get; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(Split, long, long), ComposedScene> _scenes = new();

    public SyntheticArtFixture()
    {
        Emoji = Art.Open();
        Composer = new Composer(Emoji);
    }

    /// <summary>Scenes [0, count) of a split and seed, composed once per test class.</summary>
    public IEnumerable<ComposedScene> Scenes(Split split, long seed, int count) =>
        Enumerable.Range(0, count).Select(i => _scenes.GetOrAdd((split, seed, i), k => Composer.Compose(k.Item1, k.Item2, k.Item3)));

    public void Dispose()
    {
        Emoji.Dispose();
        Art.Dispose();
    }
}
