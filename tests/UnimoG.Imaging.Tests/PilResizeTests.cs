using System.Text.Json;
using UnimoG.TestSupport;

namespace UnimoG.Imaging.Tests;

public class PilResizeTests
{
    [Theory]
    [InlineData("bicubic", 32, 24)]   // shrink: kernel widened by the scale
    [InlineData("bicubic", 150, 97)]  // enlarge
    [InlineData("bicubic", 30, 47)]   // width only
    [InlineData("bicubic", 61, 100)]  // height only
    [InlineData("bicubic", 7, 5)]     // heavy shrink
    [InlineData("bilinear", 32, 24)]
    [InlineData("lanczos", 40, 90)]
    [InlineData("box", 20, 15)]
    [InlineData("hamming", 100, 33)]
    public void Matches_pillow_bit_for_bit(string filter, int width, int height)
    {
        var (src, w, h) = TestImages.ReadRgb("source_61x47.png");
        var (expected, ew, eh) = TestImages.ReadRgb($"resize_{filter}_{width}x{height}.png");
        Assert.Equal((width, height), (ew, eh));
        var got = PilResize.Resize(src, w, h, 3, width, height, Enum.Parse<PilFilter>(filter, ignoreCase: true));
        int maxDiff = got.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Assert.Equal(0, maxDiff);
    }

    [Fact]
    public void A_constant_image_stays_constant()
    {
        var src = Enumerable.Repeat((byte)173, 50 * 40 * 3).ToArray();
        Assert.All(PilResize.Resize(src, 50, 40, 3, 17, 91, PilFilter.Bicubic), v => Assert.Equal(173, v));
    }

    [Fact]
    public void Bilinear_resize_matches_pillow_byte_for_byte()
    {
        // tests/data/dataprep/fixtures.json "pil_resize": Pillow BILINEAR on seeded random RGB images (the resize
        // GroundingDINO and SAM preprocess with); see tests/data/dataprep/README.md.
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.Root, "tests", "data", "dataprep", "fixtures.json")));
        var cases = 0;
        foreach (var source in doc.RootElement.GetProperty("pil_resize").EnumerateArray())
        {
            var (w, h) = (source.GetProperty("width").GetInt32(), source.GetProperty("height").GetInt32());
            var image = DecodedImage.FromRgb(w, h, Convert.FromBase64String(source.GetProperty("rgb").GetString()!));
            foreach (var output in source.GetProperty("outputs").EnumerateArray())
            {
                var (tw, th) = (output.GetProperty("width").GetInt32(), output.GetProperty("height").GetInt32());
                var expected = Convert.FromBase64String(output.GetProperty("rgb").GetString()!);
                var actual = PilResize.Resize(image.ToRgb(null), image.Width, image.Height, 3, tw, th, PilFilter.Bilinear);
                var diff = expected.Zip(actual).Count(p => p.First != p.Second);
                Assert.True(diff == 0, $"{w}x{h} -> {tw}x{th}: {diff} of {expected.Length} bytes differ from Pillow");
                cases++;
            }
        }
        Assert.Equal(8, cases);
    }
}
