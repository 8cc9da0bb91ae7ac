using SkiaSharp;
using UnimoG.TestSupport;

namespace UnimoG.Fuzz.Tests;

/// <summary>
/// How the committed image corpus (<c>corpus/images</c>) was made: small files of every accepted format and of the
/// features the decoder handles (alpha, EXIF orientation, truncation checks). Rewrite it with
/// <c>UNIMOG_FUZZ_WRITE_CORPUS=1</c> and the <see cref="ImageFuzzTests"/> corpus test.
/// </summary>
public static class CorpusImages
{
    public static void Write()
    {
        var dir = Corpus.Folder("images");
        Directory.CreateDirectory(dir);
        var noise = TestImages.Noise(8, 6, seed: 1, alpha: true);
        File.WriteAllBytes(Path.Combine(dir, "rgba-8x6.png"), TestImages.Encode(8, 6, noise, SKEncodedImageFormat.Png));
        File.WriteAllBytes(Path.Combine(dir, "opaque-16x16.jpg"), TestImages.Encode(16, 16, TestImages.Noise(16, 16, seed: 2), SKEncodedImageFormat.Jpeg, 80));
        var exif = TestImages.WithExifOrientation(TestImages.Encode(12, 8, TestImages.Noise(12, 8, seed: 3), SKEncodedImageFormat.Jpeg, 90), 6);
        File.WriteAllBytes(Path.Combine(dir, "exif6-12x8.jpg"), exif);
        File.WriteAllBytes(Path.Combine(dir, "lossy-10x10.webp"), TestImages.Encode(10, 10, TestImages.Noise(10, 10, seed: 4), SKEncodedImageFormat.Webp, 75));
        File.WriteAllBytes(Path.Combine(dir, "lossless-9x7.webp"), TestImages.Encode(9, 7, TestImages.Noise(9, 7, seed: 5, alpha: true), SKEncodedImageFormat.Webp, 100));
        File.Copy(TestImages.Data("orientation_6.png"), Path.Combine(dir, "exif6.png"), overwrite: true);
        File.WriteAllBytes(Path.Combine(dir, "one-pixel.gif"), OnePixelGif);
        File.WriteAllBytes(Path.Combine(dir, "header-only-64x64.png"), TestImages.PngHeaderOnly(64, 64));
    }

    /// <summary>
    /// A 1x1 GIF89a written out by hand (Skia encodes no GIF): screen descriptor with a 2-colour table, a graphic
    /// control extension (transparency), one image with LZW minimum code size 2, trailer.
    /// </summary>
    private static readonly byte[] OnePixelGif =
    [
        .. "GIF89a"u8, 1, 0, 1, 0, 0x80, 0, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0,
        0x21, 0xF9, 4, 1, 0, 0, 0, 0,
        0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B,
    ];
}
