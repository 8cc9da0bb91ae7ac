using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Engines.DataPrep.Segmentation;
using UnimoG.Imaging;

namespace UnimoG.DataPrep.Tests;

public class SegmentationTests
{
    [Fact]
    public void SAM_box_prompt_returns_the_object_inside_the_box_not_the_box()
    {
        // A red square [60, 120) x [40, 100) and another red blob outside the prompt box.
        var image = TestData.Scene(300, 200, (60, 40, 120, 100, 255, 0, 0), (200, 120, 260, 180, 255, 0, 0));
        using var sam = new SamSegmenter(TestData.SamEncoder, TestData.SamDecoder);
        var box = new BoxXyxy(40, 20, 150, 130);
        var mask = Assert.Single(sam.Segment(image, [box]));
        Assert.Equal((300, 200), (mask.Width, mask.Height));
        var truth = new Mask(300, 200, Enumerable.Range(0, 300 * 200)
            .Select(i => i % 300 is >= 60 and < 120 && i / 300 is >= 40 and < 100).ToArray());
        var inter = mask.Data.Zip(truth.Data).Count(p => p.First && p.Second);
        var union = mask.Data.Zip(truth.Data).Count(p => p.First || p.Second);
        // The tiny encoder pools 16x16 in the 1024 frame (~4.7 source pixels): edges blur by a few pixels.
        Assert.True(inter / (double)union > 0.85, $"IoU {inter / (double)union:0.###}");
        // The decoder's mask 0 is the whole box and mask 2 includes the other blob: the highest IoU (mask 1) was taken.
        Assert.False(mask[230, 150]);
        Assert.False(mask[45, 25]);
    }

    [Fact]
    public void SAM_decoder_without_the_standard_inputs_is_refused()
    {
        var e = Assert.Throws<InvalidDataException>(() => new SamSegmenter(TestData.SamEncoder, TestData.GroundingModel));
        Assert.Contains("'image_embeddings'", e.Message);
        var e2 = Assert.Throws<InvalidDataException>(() => new SamSegmenter(TestData.GroundingModel, TestData.SamDecoder));
        Assert.Contains("one input", e2.Message);
    }

    [Fact]
    public void Alpha_mask_is_the_opaque_part_of_a_synthetic_RGBA_image()
    {
        // A disc of radius 10 at (20, 20) fully opaque, a ring to radius 14 at alpha 100 (below half), rest 0.
        var (w, h) = (64, 48);
        var px = new byte[w * h * 4];
        var expected = new bool[w * h];
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
        {
            var d2 = (x - 20) * (x - 20) + (y - 20) * (y - 20);
            var i = y * w + x;
            px[i * 4] = 10; px[i * 4 + 1] = 200; px[i * 4 + 2] = 30;
            px[i * 4 + 3] = d2 <= 100 ? (byte)255 : d2 <= 196 ? (byte)100 : (byte)0;
            expected[i] = d2 <= 100;
        }
        var decoded = ImageDecoder.Decode(PngEncoder.Encode(new DecodedImage(w, h, px, hasAlpha: true)), new ImageLimits { MaxPixels = 1 << 20 });
        Assert.True(decoded.HasAlpha);
        var mask = AlphaMasks.FromAlpha(decoded);
        Assert.Equal(expected, mask.Data);
        Assert.Equal(new BoxXyxy(10, 10, 31, 31), mask.Bounds());
        Assert.Equal(expected.Count(v => v), mask.Area);
        // Restricted to a box, only its inside remains.
        var clipped = AlphaMasks.FromAlpha(decoded, new BoxXyxy(20, 0, 64, 48));
        Assert.Equal(expected.Where((v, i) => v && i % w >= 20).Count(), clipped.Area);
        Assert.Throws<InvalidDataException>(() => AlphaMasks.FromAlpha(DecodedImage.Solid(4, 4, 1, 2, 3)));
    }

    [Fact]
    public void COCO_RLE_is_column_major_and_starts_with_zeros()
    {
        // 3 wide, 2 high:   row 0: 0 1 1     column-major order: (0,0)=0 (0,1)=1 | (1,0)=1 (1,1)=0 | (2,0)=1 (2,1)=1
        //                   row 1: 1 0 1     -> 0 1 1 0 1 1 -> runs: 1 zero, 2 ones, 1 zero, 2 ones
        var mask = new Mask(3, 2, [false, true, true, true, false, true]);
        Assert.Equal(new[] { 1, 2, 1, 2 }, mask.ToCocoRle());
        Assert.Equal(new[] { 0, 6 }, new Mask(3, 2, Enumerable.Repeat(true, 6).ToArray()).ToCocoRle());
        Assert.Equal(mask.Data, Mask.FromCocoRle(3, 2, mask.ToCocoRle()).Data);
        var random = new Random(3);
        var big = new Mask(37, 23, Enumerable.Range(0, 37 * 23).Select(_ => random.Next(3) == 0).ToArray());
        Assert.Equal(big.Data, Mask.FromCocoRle(37, 23, big.ToCocoRle()).Data);
        Assert.Throws<InvalidDataException>(() => Mask.FromCocoRle(3, 2, [1, 2]));
    }
}
