using System.Buffers.Binary;
using UnimoG.TestSupport;

namespace UnimoG.Imaging.Tests;

public class PngEncoderTests
{
    // IHDR follows the 8-byte signature and the chunk's length and type: width, height, bit depth, colour type.
    private static (int Width, int Height, int BitDepth, int ColourType) Header(byte[] png) =>
        (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)), png[24], png[25]);

    [Fact]
    public void Opaque_images_are_RGB_and_images_with_alpha_are_RGBA()
    {
        var rgb = TestImages.Noise(7, 3, seed: 1).Where((_, i) => i % 4 != 3).ToArray();
        var asRgb = PngEncoder.EncodeRgb(rgb, 7, 3);
        Assert.Equal((7, 3, 8, 2), Header(asRgb));                     // colour type 2: truecolour
        Assert.Equal(rgb, ImageDecoder.Decode(asRgb).ToRgb(null));

        var rgba = TestImages.Noise(7, 3, seed: 2, alpha: true);
        rgba[3] = 0; rgba[7] = 1;                                      // colours under (nearly) clear alpha survive
        var asRgba = PngEncoder.EncodeRgba(rgba, 7, 3);
        Assert.Equal((7, 3, 8, 6), Header(asRgba));                    // colour type 6: truecolour with alpha
        Assert.Equal(rgba, ImageDecoder.Decode(asRgba).Rgba);

        Assert.Equal(6, Header(PngEncoder.Encode(new DecodedImage(7, 3, rgba))).ColourType);
        Assert.Equal(asRgb, PngEncoder.Encode(DecodedImage.FromRgb(7, 3, rgb)));
    }

    [Fact]
    public void Masks_are_greyscale()
    {
        byte[] gray = [0, 255, 255, 0, 128, 7];
        var png = PngEncoder.EncodeGray(gray, 3, 2);
        Assert.Equal((3, 2, 8, 0), Header(png));                       // colour type 0: greyscale
        var decoded = ImageDecoder.Decode(png);
        Assert.Equal(gray, Enumerable.Range(0, 6).Select(i => decoded.Rgba[4 * i]));
        Assert.Equal(gray, Enumerable.Range(0, 6).Select(i => decoded.Rgba[4 * i + 2]));
    }

    [Fact]
    public void Equal_pixels_give_equal_bytes()
    {
        var rgba = TestImages.Noise(16, 16, seed: 3, alpha: true);
        Assert.Equal(PngEncoder.EncodeRgba(rgba, 16, 16), PngEncoder.EncodeRgba((byte[])rgba.Clone(), 16, 16));
    }

    [Fact]
    public void Wrong_buffer_sizes_are_refused()
    {
        Assert.Contains("4x4x3", Assert.Throws<ArgumentException>(() => PngEncoder.EncodeRgb(new byte[47], 4, 4)).Message);
        Assert.Contains("4x4x4", Assert.Throws<ArgumentException>(() => PngEncoder.EncodeRgba(new byte[63], 4, 4)).Message);
        Assert.Throws<ArgumentException>(() => PngEncoder.EncodeGray(new byte[15], 4, 4));
    }
}
