using System.Text.Json;
using SkiaSharp;
using UnimoG.TestSupport;

namespace UnimoG.Imaging.Tests;

public class ImageDecoderTests
{
    [Fact]
    public void PNG_round_trips_exactly_with_straight_alpha()
    {
        var rgba = TestImages.Noise(5, 3, seed: 1, alpha: true);
        rgba[3] = 0; rgba[7] = 1; rgba[11] = 128; // fully and nearly transparent pixels keep their colours
        var image = ImageDecoder.Decode(TestImages.Encode(5, 3, rgba, SKEncodedImageFormat.Png));
        Assert.Equal((5, 3, ImageFormat.Png), (image.Width, image.Height, image.Format));
        Assert.Equal(rgba, image.Rgba);
        Assert.True(image.HasAlpha);
        Assert.Equal(Enumerable.Range(0, 15).Select(i => rgba[4 * i + 3]), image.Alpha());
    }

    [Fact]
    public void JPEG_and_WebP_decode_to_their_colours()
    {
        var solid = DecodedImage.Solid(16, 16, 200, 100, 50).Rgba;
        var jpeg = ImageDecoder.Decode(TestImages.Encode(16, 16, solid, SKEncodedImageFormat.Jpeg, 100));
        Assert.Equal(ImageFormat.Jpeg, jpeg.Format);
        Assert.False(jpeg.HasAlpha);
        for (int i = 0; i < solid.Length; i++)
            Assert.InRange(jpeg.Rgba[i], solid[i] - 3, solid[i] + 3); // lossy, but a flat colour survives
        var noise = TestImages.Noise(7, 4, seed: 2);
        var webp = ImageDecoder.Decode(TestImages.Encode(7, 4, noise, SKEncodedImageFormat.Webp, 100)); // quality 100: lossless
        Assert.Equal(ImageFormat.WebP, webp.Format);
        Assert.Equal(noise, webp.Rgba);
    }

    [Fact]
    public void GIF_decodes_its_first_frame()
    {
        // A 1x1 GIF89a: global colour table [red, black], one image, LZW code size 2, pixel index 0.
        byte[] gif = [0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0, 0, 0xFF, 0, 0, 0, 0, 0,
                      0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B];
        var image = ImageDecoder.Decode(gif);
        Assert.Equal(ImageFormat.Gif, image.Format);
        Assert.Equal([255, 0, 0, 255], image.Rgba);
    }

    [Fact]
    public void A_header_claiming_20000x20000_is_refused_before_decoding()
    {
        var bomb = TestImages.PngHeaderOnly(20000, 20000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(bomb));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(ImageDecodeError.TooLarge, ex.Reason);
        Assert.Contains("20000x20000", ex.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes for a refused image"); // 1.6 GB if decoded
    }

    [Theory]
    [InlineData(9000, 10)] // a side over 8192
    [InlineData(7000, 7000)] // 49 MP over 40 MP
    public void Header_dimensions_are_checked_against_the_limits(int width, int height)
    {
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(TestImages.PngHeaderOnly(width, height)));
        Assert.Equal(ImageDecodeError.TooLarge, ex.Reason);
        // Within custom limits the same header passes the size check and fails on the missing data instead.
        var limits = new ImageLimits { MaxSide = 10_000, MaxPixels = 50_000_000 };
        var missing = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(TestImages.PngHeaderOnly(width, height), limits));
        Assert.NotEqual(ImageDecodeError.TooLarge, missing.Reason);
    }

    [Fact]
    public void File_size_is_checked_first()
    {
        var png = TestImages.Encode(8, 8, TestImages.Noise(8, 8, 3), SKEncodedImageFormat.Png);
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png, new ImageLimits { MaxBytes = png.Length - 1 }));
        Assert.Equal(ImageDecodeError.TooManyBytes, ex.Reason);
        Assert.Equal(ImageDecodeError.Empty, Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode([])).Reason);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    public void Truncated_files_are_detected(SKEncodedImageFormat format)
    {
        var full = TestImages.Encode(64, 64, TestImages.Noise(64, 64, 4), format, 90);
        var half = full[..(full.Length / 2)];
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(half));
        Assert.Equal(ImageDecodeError.Truncated, ex.Reason);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void Garbage_is_unsupported_or_corrupt()
    {
        var garbage = new byte[256];
        new Random(5).NextBytes(garbage);
        garbage[0] = 0x42; // not a magic number we know
        Assert.Equal(ImageDecodeError.UnsupportedFormat, Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(garbage)).Reason);
        var badDepth = TestImages.PngHeaderOnly(16, 16, bitDepth: 7); // no such PNG bit depth
        Assert.Equal(ImageDecodeError.Corrupt, Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(badDepth)).Reason);
        var badCrc = TestImages.PngHeaderOnly(16, 16, badCrc: true);
        Assert.Equal(ImageDecodeError.Corrupt, Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(badCrc)).Reason);
        var pngThenGarbage = new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }.Concat(garbage).ToArray();
        Assert.Equal(ImageDecodeError.Corrupt, Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(pngThenGarbage)).Reason);
        var headerCut = TestImages.PngHeaderOnly(16, 16)[..20];
        Assert.Equal(ImageDecodeError.Corrupt, Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(headerCut)).Reason);
        var bmp = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode("BM\0\0\0\0\0\0\0\0"u8.ToArray()));
        Assert.Equal(ImageDecodeError.UnsupportedFormat, bmp.Reason);
        Assert.Contains("BMP", bmp.Message);
    }

    [Fact]
    public void EXIF_orientation_matches_pillows_EXIF_transpose()
    {
        // orientation_N.png: a 3x2 image of six colours with an eXIf chunk; the JSON holds PIL's upright pixels.
        using var doc = JsonDocument.Parse(File.ReadAllText(TestImages.Data("orientation_upright.json")));
        var stored = ImageDecoder.Decode(File.ReadAllBytes(TestImages.Data("orientation_1.png")));
        for (int o = 1; o <= 8; o++)
        {
            var expected = doc.RootElement.GetProperty(o.ToString());
            var upright = ImageDecoder.Orient(stored, (SKEncodedOrigin)o);
            Assert.Equal(expected.GetProperty("width").GetInt32(), upright.Width);
            Assert.Equal(expected.GetProperty("height").GetInt32(), upright.Height);
            Assert.Equal(expected.GetProperty("rgb").EnumerateArray().Select(e => (byte)e.GetInt32()), upright.ToRgb(null));
        }
    }

    [Fact]
    public void Decoding_applies_the_orientation_of_a_PNG_EXIF_chunk()
    {
        // Skia reads EXIF from JPEG and WebP only; PNG's eXIf chunk is read here (PIL's exif_transpose does).
        using var doc = JsonDocument.Parse(File.ReadAllText(TestImages.Data("orientation_upright.json")));
        for (int o = 1; o <= 8; o++)
        {
            var expected = doc.RootElement.GetProperty(o.ToString());
            var image = ImageDecoder.Decode(File.ReadAllBytes(TestImages.Data($"orientation_{o}.png")));
            Assert.Equal(expected.GetProperty("width").GetInt32(), image.Width);
            Assert.Equal(expected.GetProperty("rgb").EnumerateArray().Select(e => (byte)e.GetInt32()), image.ToRgb(null));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(8)]
    public void Decoding_applies_the_orientation_stored_in_a_JPEG(int orientation)
    {
        // 32x16: left half red, right half blue. Rotated 90 degrees clockwise (6) red is on top.
        var rgba = new byte[32 * 16 * 4];
        for (int y = 0; y < 16; y++)
        for (int x = 0; x < 32; x++)
        {
            int p = 4 * (y * 32 + x);
            (rgba[p], rgba[p + 2], rgba[p + 3]) = x < 16 ? ((byte)255, (byte)0, (byte)255) : ((byte)0, (byte)255, (byte)255);
        }
        var jpeg = TestImages.WithExifOrientation(TestImages.Encode(32, 16, rgba, SKEncodedImageFormat.Jpeg), orientation);
        var image = ImageDecoder.Decode(jpeg);
        var header = ImageDecoder.ReadHeader(jpeg);
        Assert.Equal((image.Width, image.Height), (header.Width, header.Height));
        bool RedAt(int x, int y) => image.Rgba[4 * (y * image.Width + x)] > 200;
        switch (orientation)
        {
            case 1: Assert.Equal((32, 16), (image.Width, image.Height)); Assert.True(RedAt(4, 8) && !RedAt(28, 8)); break;
            case 3: Assert.Equal((32, 16), (image.Width, image.Height)); Assert.True(!RedAt(4, 8) && RedAt(28, 8)); break;
            case 6: Assert.Equal((16, 32), (image.Width, image.Height)); Assert.True(RedAt(8, 4) && !RedAt(8, 28)); break;
            case 8: Assert.Equal((16, 32), (image.Width, image.Height)); Assert.True(!RedAt(8, 4) && RedAt(8, 28)); break;
        }
    }

    [Fact]
    public void Alpha_compositing_matches_pillows_alpha_composite()
    {
        // alpha_composite.json: PIL.Image.alpha_composite(opaque background, colour with alpha 0..255).
        using var doc = JsonDocument.Parse(File.ReadAllText(TestImages.Data("alpha_composite.json")));
        foreach (var row in doc.RootElement.EnumerateArray())
        {
            byte src = (byte)row.GetProperty("src").GetInt32(), dst = (byte)row.GetProperty("dst").GetInt32();
            var rgba = new byte[256 * 4];
            for (int a = 0; a < 256; a++) (rgba[4 * a], rgba[4 * a + 3]) = (src, (byte)a);
            var rgb = new DecodedImage(256, 1, rgba).ToRgb(new Rgb(dst, 0, 0));
            var expected = row.GetProperty("out").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray();
            Assert.Equal(expected, Enumerable.Range(0, 256).Select(a => rgb[3 * a]).ToArray());
        }
    }

    [Fact]
    public void Without_a_background_alpha_is_dropped()
    {
        var image = DecodedImage.Solid(2, 2, 10, 20, 30, a: 0);
        Assert.Equal(Enumerable.Repeat(new byte[] { 10, 20, 30 }, 4).SelectMany(x => x), image.ToRgb(null));
        Assert.Equal(Enumerable.Repeat((byte)255, 12), image.ToRgb(Rgb.White));
    }

    [Fact]
    public void EXIF_orientations_map_pixels_to_the_upright_picture()
    {
        // 3x2 image with distinct pixels; orientation 6 (rotate 90 degrees clockwise) gives 2x3.
        var px = new byte[3 * 2 * 4];
        for (var i = 0; i < 6; i++) px[i * 4] = (byte)(i + 1); // row 0: 1 2 3, row 1: 4 5 6
        var img = new DecodedImage(3, 2, px, hasAlpha: false);
        byte At(DecodedImage m, int x, int y) => m.Rgba[(y * m.Width + x) * 4];
        var r6 = ImageDecoder.Orient(img, SKEncodedOrigin.RightTop);
        Assert.Equal((2, 3), (r6.Width, r6.Height));
        Assert.Equal(new byte[] { 4, 1, 5, 2, 6, 3 }, Enumerable.Range(0, 6).Select(i => At(r6, i % 2, i / 2)));
        var r8 = ImageDecoder.Orient(img, SKEncodedOrigin.LeftBottom);
        Assert.Equal(new byte[] { 3, 6, 2, 5, 1, 4 }, Enumerable.Range(0, 6).Select(i => At(r8, i % 2, i / 2)));
        var r3 = ImageDecoder.Orient(img, SKEncodedOrigin.BottomRight);
        Assert.Equal(new byte[] { 6, 5, 4, 3, 2, 1 }, Enumerable.Range(0, 6).Select(i => At(r3, i % 3, i / 3)));
    }
}
