using SkiaSharp;
using UnimoG.TestSupport;

namespace UnimoG.Imaging.Tests;

/// <summary>
/// Decoding much larger images straight to a few times the consumer's size: the streaming PNG reader equals Skia's
/// decode, the reduced image resized agrees with the full one resized, and memory follows the reduced size.
/// </summary>
public class ScaledDecodingTests
{
    /// <summary>A CLIP-like consumer: the short side to <paramref name="edge"/>, the long one int(edge * long / short).</summary>
    private static ScaledDecoding ShortestEdge(int edge) => new((w, h) =>
        w <= h ? (edge, (int)((double)edge * h / w)) : ((int)((double)edge * w / h), edge));

    /// <summary>Smooth gradients, discs and a little noise: closer to a photograph than noise is.</summary>
    private static byte[] Picture(int width, int height, int seed)
    {
        var rng = new Random(seed);
        var rgba = new byte[width * height * 4];
        var discs = Enumerable.Range(0, 12).Select(_ => (X: rng.Next(width), Y: rng.Next(height), R: rng.Next(20, width / 4), C: rng.Next(256))).ToArray();
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int p = 4 * (y * width + x), r = 255 * x / width, g = 255 * y / height, b = 128;
            foreach (var d in discs)
                if ((x - d.X) * (x - d.X) + (y - d.Y) * (y - d.Y) < d.R * d.R) b = d.C;
            (rgba[p], rgba[p + 1], rgba[p + 2], rgba[p + 3]) = ((byte)r, (byte)Math.Clamp(g + rng.Next(-8, 9), 0, 255), (byte)b, 255);
        }
        return rgba;
    }

    private static int[] Samples(int width, int height, int colorType, int depth, int seed)
    {
        int channels = colorType switch { 0 or 3 => 1, 2 => 3, 4 => 2, _ => 4 };
        int values = colorType == 3 ? Math.Min(1 << depth, 6) : 1 << depth; // index 5 is past the 5-entry palette
        var rng = new Random(seed);
        return Enumerable.Range(0, width * height * channels).Select(_ => rng.Next(values)).ToArray();
    }

    private static DecodedImage ReadRows(byte[] png, int width, int height)
    {
        var rgba = new byte[width * height * 4];
        PngRows.Read(png, (y, x0, dx, row) =>
        {
            for (int i = 0; i < row.Length / 4; i++) row.Slice(4 * i, 4).CopyTo(rgba.AsSpan(4 * (y * width + x0 + i * dx)));
        });
        return new DecodedImage(width, height, rgba);
    }

    [Theory]
    [InlineData(0, 1, false, false)]
    [InlineData(0, 2, false, true)]
    [InlineData(0, 4, true, false)]
    [InlineData(0, 8, false, true)]
    [InlineData(0, 16, true, true)]
    [InlineData(2, 8, false, true)]
    [InlineData(2, 16, true, false)]
    [InlineData(3, 1, true, true)]
    [InlineData(3, 4, false, true)]
    [InlineData(3, 8, true, false)]
    [InlineData(4, 8, false, false)]
    [InlineData(4, 16, true, false)]
    [InlineData(6, 8, true, false)]
    [InlineData(6, 16, false, false)]
    public void PNG_rows_equal_Skias_decode(int colorType, int depth, bool interlace, bool transparency)
    {
        const int w = 37, h = 23;
        var samples = Samples(w, h, colorType, depth, seed: colorType * 100 + depth);
        byte[]? plte = colorType == 3 ? [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 99, 199, 250, 128, 3] : null;
        // tRNS: palette alphas, or the first pixel's grey / RGB as the transparent key (16-bit big-endian values).
        byte[]? trns = !transparency ? null
            : colorType == 3 ? [0, 128, 255]
            : samples.Take(colorType == 0 ? 1 : 3).SelectMany(v => new[] { (byte)(v >> 8), (byte)v }).ToArray();
        var png = RawPng.Encode(w, h, depth, colorType, samples, interlace, plte, trns);
        var skia = ImageDecoder.Decode(png);
        Assert.Equal(skia.Rgba, ReadRows(png, w, h).Rgba);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png, 1800, 1350)]
    [InlineData(SKEncodedImageFormat.Jpeg, 1350, 1800)]
    [InlineData(SKEncodedImageFormat.Webp, 1800, 1350)]
    public void Scaled_then_resized_agrees_with_full_then_resized(SKEncodedImageFormat format, int width, int height)
    {
        var file = TestImages.Encode(width, height, Picture(width, height, seed: 3), format, 95);
        var scaling = ShortestEdge(224);
        var plan = ImageDecoder.Plan(file, scaling: scaling);
        var full = ImageDecoder.Decode(file);
        var scaled = ImageDecoder.Decode(file, scaling: scaling);
        Assert.True(plan.Scaled);
        Assert.Equal((plan.DecodedWidth, plan.DecodedHeight), (scaled.Width, scaled.Height));
        Assert.Equal((width / 3, height / 3), (scaled.Width, scaled.Height)); // factor int(1350 / 224 / 2) = 3
        var (tw, th) = scaling.TargetFor(width, height);
        var a = DecodedImage.FromRgb(tw, th, PilResize.Resize(full.ToRgb(Rgb.White), full.Width, full.Height, 3, tw, th, PilFilter.Bicubic));
        var b = DecodedImage.FromRgb(tw, th, PilResize.Resize(scaled.ToRgb(Rgb.White), scaled.Width, scaled.Height, 3, tw, th, PilFilter.Bicubic));
        var psnr = Psnr.Rgb(a, b);
        Assert.True(psnr > 40, $"{format}: {psnr:F1} dB");
    }

    [Fact]
    public void A_4000x4000_PNG_of_2_KB_decodes_scaled_allocating_far_less_than_its_pixels()
    {
        var png = RawPng.Blank(4000, 4000, seed: 12_345);
        Assert.True(png.Length < 4096, $"{png.Length} bytes");
        var scaling = ShortestEdge(224);
        ImageDecoder.Decode(RawPng.Blank(600, 600), scaling: scaling); // warm up (JIT, tables)
        long before = GC.GetAllocatedBytesForCurrentThread();
        var image = ImageDecoder.Decode(png, scaling: scaling);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var plan = ImageDecoder.Plan(png, scaling: scaling);
        Assert.Equal((500, 500), (image.Width, image.Height)); // factor int(4000 / 224 / 2) = 8
        Assert.True(allocated < 2_000_000, $"allocated {allocated:N0} bytes; the full image is 64,000,000");
        Assert.InRange(plan.Bytes, allocated, 4_000_000);   // the plan is an upper bound, and small
        Assert.Equal(64_000_000, ImageDecoder.Plan(png).Bytes - png.Length);
        // The one white pixel at (345, 3) lands in block (43, 0): 1/64 of 255, rounded.
        Assert.Equal(4, image.Rgba[4 * 43]);
        Assert.Equal(0, image.Rgba[4 * 44]);
    }

    [Fact]
    public void An_image_within_the_reducing_gap_is_decoded_at_full_size_unchanged()
    {
        var png = TestImages.Encode(895, 600, TestImages.Noise(895, 600, 7), SKEncodedImageFormat.Png);
        var scaling = ShortestEdge(224);  // int(600 / 224 / 2) = 1
        var plan = ImageDecoder.Plan(png, scaling: scaling);
        Assert.False(plan.Scaled);
        Assert.Equal(ImageDecoder.Decode(png).Rgba, ImageDecoder.Decode(png, scaling: scaling).Rgba);
    }

    [Fact]
    public void The_plan_gives_the_decoded_size_for_every_format_and_orientation()
    {
        var scaling = ShortestEdge(32);
        var jpeg = TestImages.WithExifOrientation(TestImages.Encode(300, 200, Picture(300, 200, 1), SKEncodedImageFormat.Jpeg), 6);
        var interlaced = RawPng.Encode(301, 203, 8, 2, Samples(301, 203, 2, 8, 4), interlace: true);
        foreach (var file in new[] { jpeg, interlaced, TestImages.Encode(300, 200, Picture(300, 200, 2), SKEncodedImageFormat.Webp, 90) })
        {
            var plan = ImageDecoder.Plan(file, scaling: scaling);
            var image = ImageDecoder.Decode(file, scaling: scaling);
            Assert.True(plan.Scaled, plan.ToString());
            Assert.Equal((plan.DecodedWidth, plan.DecodedHeight), (image.Width, image.Height));
        }
        Assert.Equal((200, 300, 67, 100), Dims(ImageDecoder.Plan(jpeg, scaling: scaling))); // upright; factors int(200 / 32 / 2) = 3 and int(300 / 48 / 2) = 3, sizes rounded up
        static (int, int, int, int) Dims(DecodePlan p) => (p.Width, p.Height, p.DecodedWidth, p.DecodedHeight);
    }

    [Fact]
    public void A_GIF_is_decoded_at_full_size_and_its_plan_says_so()
    {
        // A 1x1 frame on a 4000x4000 logical screen: 35 bytes that decode to 64 MB.
        byte[] gif = [0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0xA0, 0x0F, 0xA0, 0x0F, 0x80, 0, 0, 0xFF, 0, 0, 0, 0, 0,
                      0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B];
        var plan = ImageDecoder.Plan(gif, scaling: ShortestEdge(224));
        Assert.False(plan.Scaled);
        Assert.True(plan.Bytes >= 64_000_000, plan.ToString());
    }

    [Fact]
    public void The_plan_counts_what_codecs_keep_of_the_whole_image()
    {
        var scaling = ShortestEdge(32);
        var picture = Picture(1000, 1000, 8);
        long Bytes(byte[] file, ScaledDecoding? s = null) => ImageDecoder.Plan(file, scaling: s).Bytes - file.Length;
        // libwebp's lossless decoder keeps the whole ARGB image even when it scales; lossy decodes by macroblock rows.
        var lossless = TestImages.Encode(1000, 1000, picture, SKEncodedImageFormat.Webp, 100);
        var lossy = TestImages.Encode(1000, 1000, picture, SKEncodedImageFormat.Webp, 80);
        Assert.Equal(4_000_000, Bytes(lossless, scaling) - Bytes(lossy, scaling));
        // libjpeg keeps every coefficient of a progressive JPEG (the header is all Plan reads: SOF0 patched to SOF2).
        var baseline = TestImages.Encode(1000, 1000, picture, SKEncodedImageFormat.Jpeg, 90);
        var progressive = baseline.ToArray();
        int sof = Enumerable.Range(2, progressive.Length - 3).First(i => progressive[i] == 0xFF && progressive[i + 1] == 0xC0);
        progressive[sof + 1] = 0xC2;
        Assert.Equal(6_000_000, Bytes(progressive, scaling) - Bytes(baseline, scaling));
        // Skia's interlaced PNG decode buffers the image in its own format (8-bit RGB: 3 bytes a pixel); PngRows does not.
        var samples = Samples(1000, 1000, 2, 8, 9);
        var plain = RawPng.Encode(1000, 1000, 8, 2, samples);
        var interlaced = RawPng.Encode(1000, 1000, 8, 2, samples, interlace: true);
        Assert.Equal(3_000_000, Bytes(interlaced) - Bytes(plain));
    }

    [Fact]
    public void Truncated_and_corrupt_files_fail_the_same_way_when_scaled()
    {
        var scaling = ShortestEdge(32);
        foreach (var format in new[] { SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg })
        {
            var file = TestImages.Encode(256, 256, TestImages.Noise(256, 256, 5), format, 90);
            var cut = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(file[..(file.Length / 2)], scaling: scaling));
            Assert.Equal(ImageDecodeError.Truncated, cut.Reason);
            Assert.Contains("truncated", cut.Message);
        }
        var png = TestImages.Encode(256, 256, TestImages.Noise(256, 256, 6), SKEncodedImageFormat.Png);
        png[png.Length / 2] ^= 0x55; // inside IDAT: its CRC no longer matches
        var bad = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png, scaling: scaling));
        Assert.Equal(ImageDecodeError.Corrupt, bad.Reason);
    }

    [Fact]
    public void Block_means_weight_colours_by_alpha()
    {
        // One 2x2 block: red opaque, green at alpha 51, two fully transparent blues; then a fully transparent block.
        byte[] rows = [255, 0, 0, 255, 0, 255, 0, 51, 7, 7, 7, 0, 0, 0, 255, 0, 0, 0, 255, 0, 9, 9, 9, 0];
        var reducer = new BoxReducer(3, 2, 2, 2, wholeImage: false);
        reducer.Add(0, 0, 1, rows.AsSpan(0, 12));
        reducer.Add(1, 0, 1, rows.AsSpan(12, 12));
        var output = reducer.Finish();
        Assert.Equal(new byte[] { 213, 43, 0, 77 }, output[..4]);  // (255*255, 255*51) / 306; alpha 306 / 4
        Assert.Equal(new byte[] { 8, 8, 8, 0 }, output[4..]);     // transparent: the plain mean of (7, 9), rounded
    }
}
