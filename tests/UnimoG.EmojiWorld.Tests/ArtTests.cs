using System.Text.Json;
using UnimoG.Imaging;

namespace UnimoG.EmojiWorld.Tests;

public class ArtTests
{
    [Fact]
    public void Missing_art_says_how_to_install_it()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => EmojiArt.Open("/nonexistent/emoji"));
        Assert.Contains("scripts/fetch-emoji-art.sh", e.Message);
        Assert.Contains("/nonexistent/emoji", e.Message);
    }

    [Fact]
    public void An_entity_from_a_denied_part_of_emoji_JSON_is_refused_by_name()
    {
        using var art = new SyntheticArt();
        // Relabel the dog as a flag in emoji.json.
        var path = Path.Combine(art.Folder, "emoji.json");
        var rows = JsonSerializer.Deserialize<List<Dictionary<string, object>>>(File.ReadAllText(path))!;
        var dog = EmojiCatalog.Default.Entities.Single(x => x.NameEn == "dog").Hex;
        foreach (var r in rows)
        {
            var flag = r["unified"].ToString() == dog;
            r["category"] = flag ? "Flags" : "Animals & Nature";
            r["subcategory"] = flag ? "country-flag" : "animal-mammal";
        }
        File.WriteAllText(path, JsonSerializer.Serialize(rows));
        using var emoji = art.Open();
        var e = Assert.Throws<InvalidDataException>(() => new Composer(emoji));
        Assert.Contains($"dog ({dog}) is Flags / country-flag", e.Message);
    }

    [Fact]
    public void An_emoji_missing_from_the_art_is_named()
    {
        using var art = new SyntheticArt();
        var path = Path.Combine(art.Folder, "emoji.json");
        var pizza = EmojiCatalog.Default.Entities.Single(x => x.NameEn == "pizza").Hex;
        var rows = JsonSerializer.Deserialize<List<Dictionary<string, object>>>(File.ReadAllText(path))!
            .Where(r => r["unified"].ToString() != pizza).ToList();
        File.WriteAllText(path, JsonSerializer.Serialize(rows));
        using var emoji = art.Open();
        var e = Assert.Throws<InvalidDataException>(() => new Composer(emoji));
        Assert.Contains($"lacks 1 catalog emoji: {pizza}", e.Message);
    }

    [Fact]
    public void A_sprite_that_is_not_64_by_64_is_rejected()
    {
        var png = PngEncoder.EncodeRgba(new byte[32 * 32 * 4], 32, 32);
        var e = Assert.Throws<InvalidDataException>(() => Sprite.Decode("1F436", png, "dog.png"));
        Assert.Contains("dog.png: expected a 64x64 image, found 32x32", e.Message);
    }
}
