using SkiaSharp;
using UnimoG.TestSupport;

namespace UnimoG.Imaging.Tests;

public class DecodedImageTests
{
    [Fact]
    public void Compositing_is_the_exactly_rounded_blend()
    {
        // PIL's fixed point equals round((src * a + dst * (255 - a)) / 255) for every input (no ties: 255 is odd),
        // so float blends rounded to nearest (EmojiWorld's white references did this) give the same bytes.
        for (int a = 0; a < 256; a++)
        for (int src = 0; src < 256; src++)
        for (int dst = 0; dst < 256; dst++)
        {
            int exact = (2 * (src * a + dst * (255 - a)) + 255) / 510; // round(n / 255) = floor((2n + 255) / 510)
            if (DecodedImage.Over((byte)src, (byte)dst, (byte)a) != exact)
                Assert.Fail($"src {src} dst {dst} alpha {a}: {DecodedImage.Over((byte)src, (byte)dst, (byte)a)}, exact {exact}");
        }
    }

    [Fact]
    public void Crops_copy_the_region_and_zero_what_lies_outside()
    {
        // 4x3 RGB with pixel value 10 * (y * 4 + x) + 1 in every channel.
        var rgb = new byte[4 * 3 * 3];
        for (int i = 0; i < 12; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = (byte)(10 * i + 1);
        byte At(byte[] buf, int w, int x, int y) => buf[3 * (y * w + x)];
        var inside = ImageOps.Crop(rgb, 4, 3, 3, 1, 1, 2, 2);
        Assert.Equal(new byte[] { 51, 61, 91, 101 }, new[] { At(inside, 2, 0, 0), At(inside, 2, 1, 0), At(inside, 2, 0, 1), At(inside, 2, 1, 1) });
        var overlapping = ImageOps.Crop(rgb, 4, 3, 3, -1, 2, 3, 2); // one column left of, one row below the image
        Assert.Equal(new byte[] { 0, 81, 91, 0, 0, 0 }, Enumerable.Range(0, 6).Select(i => At(overlapping, 3, i % 3, i / 3)));
        Assert.All(ImageOps.Crop(rgb, 4, 3, 3, 10, 0, 2, 2), v => Assert.Equal(0, v));
        Assert.Throws<ArgumentException>(() => ImageOps.Crop(rgb, 4, 4, 3, 0, 0, 1, 1));
    }

    [Fact]
    public void An_image_crop_keeps_alpha_and_marks_padding_as_transparent()
    {
        var image = DecodedImage.Solid(4, 4, 9, 8, 7);
        var inside = image.Crop(1, 1, 2, 2);
        Assert.False(inside.HasAlpha);
        Assert.Equal(DecodedImage.Solid(2, 2, 9, 8, 7).Rgba, inside.Rgba);
        var padded = image.Crop(3, 3, 2, 2);
        Assert.True(padded.HasAlpha);
        Assert.Equal(new byte[] { 9, 8, 7, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, padded.Rgba);
    }

    [Fact]
    public void RGB_buffers_become_opaque_images()
    {
        var image = DecodedImage.FromRgb(2, 1, [1, 2, 3, 4, 5, 6]);
        Assert.Equal(new byte[] { 1, 2, 3, 255, 4, 5, 6, 255 }, image.Rgba);
        Assert.False(image.HasAlpha);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, image.ToRgb(Rgb.Black));
        var (rgba, w, h) = image;
        Assert.Equal((image.Rgba, 2, 1), (rgba, w, h));
        Assert.Throws<ArgumentException>(() => DecodedImage.FromRgb(2, 2, [1, 2, 3]));
    }

    [Fact]
    public void Has_alpha_follows_the_file_for_decoded_images_and_the_pixels_otherwise()
    {
        // An RGBA file whose pixels are all opaque still has an alpha channel (a layer image may be fully covered).
        var opaque = TestImages.Noise(6, 5, seed: 7);
        Assert.True(ImageDecoder.Decode(PngEncoder.EncodeRgba(opaque, 6, 5)).HasAlpha);
        Assert.False(ImageDecoder.Decode(PngEncoder.Encode(new DecodedImage(6, 5, opaque))).HasAlpha);
        Assert.False(new DecodedImage(6, 5, opaque).HasAlpha);
        Assert.True(new DecodedImage(6, 5, opaque, hasAlpha: true).HasAlpha);
        Assert.True(DecodedImage.Solid(1, 1, 0, 0, 0, a: 254).HasAlpha);
    }

    [Fact]
    public void Decoding_records_the_EXIF_orientation_it_applied()
    {
        for (int o = 1; o <= 8; o++)
            Assert.Equal(o, ImageDecoder.Decode(File.ReadAllBytes(TestImages.Data($"orientation_{o}.png"))).ExifOrientation);
        var stored = DecodedImage.Solid(3, 2, 1, 2, 3);
        Assert.Equal(1, stored.ExifOrientation);
        Assert.Equal(6, ImageDecoder.Orient(stored, SKEncodedOrigin.RightTop).ExifOrientation);
    }

    [Fact]
    public void Unsupported_data_says_it_is_not_a_decodable_image()
    {
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode("%PDF-1.4 not an image"u8.ToArray()));
        Assert.Contains("not a decodable image", ex.Message);
        Assert.Contains("PDF", ex.Message);
    }
}
