using System.Text.Json;
using System.Text.Json.Serialization;
using UnimoG.Imaging;

namespace UnimoG.EmojiWorld;

/// <summary>Background of a reference image.</summary>
public enum ReferenceBackground { Transparent, White }

/// <summary>One reference image in <c>references.json</c>.</summary>
public sealed record ReferenceInfo(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("hex")] string Hex,
    [property: JsonPropertyName("category")] string Category,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("name_en")] string NameEn,
    [property: JsonPropertyName("name_zh")] string NameZh,
    [property: JsonPropertyName("held_out")] bool HeldOut);

/// <summary>
/// Entity reference images: each catalog emoji alone, 64x64, exactly as in the art (transparent) or
/// flattened onto white, as <c>{hex}.png</c>, with <c>references.json</c>, NOTICE and the licence.
/// EmojiBench feeds them to the generator as the prompt's &lt;imgN&gt; inputs.
/// </summary>
public static class References
{
    public const string IndexFile = "references.json";

    public static IReadOnlyList<ReferenceInfo> Write(EmojiArt art, EmojiCatalog catalog, string folder, Split split, ReferenceBackground background)
    {
        Directory.CreateDirectory(folder);
        Notice.WriteTo(folder);
        var list = new List<ReferenceInfo>();
        foreach (var e in catalog.Entities.Where(e => e.InSplit(split)))
        {
            var file = $"{e.Hex.ToLowerInvariant()}.png";
            File.WriteAllBytes(Path.Combine(folder, file), Encode(art.Sprite(e.Hex), background));
            list.Add(new ReferenceInfo(file, e.Hex, e.Category.ToString().ToLowerInvariant(), e.Kind.ToString().ToLowerInvariant(),
                e.NameEn, e.NameZh, e.HeldOut));
        }
        File.WriteAllBytes(Path.Combine(folder, IndexFile), JsonSerializer.SerializeToUtf8Bytes(list, new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }));
        return list;
    }

    /// <summary>The sprite as a PNG: its exact RGBA, or composited over white (RGB, Pillow's alpha_composite rounding).</summary>
    public static byte[] Encode(Sprite sprite, ReferenceBackground background)
    {
        const int n = Sprite.Size;
        if (background == ReferenceBackground.Transparent)
            return PngEncoder.EncodeRgba(sprite.Rgba, n, n);
        return PngEncoder.EncodeRgb(new DecodedImage(n, n, sprite.Rgba).ToRgb(Rgb.White), n, n);
    }
}
