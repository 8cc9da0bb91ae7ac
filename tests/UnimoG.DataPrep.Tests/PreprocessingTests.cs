using UnimoG.Engines.DataPrep.Grounding;
using UnimoG.Engines.DataPrep.Segmentation;
using UnimoG.Imaging;

namespace UnimoG.DataPrep.Tests;

/// <summary>Image preprocessing of GroundingDINO and SAM against the references' size rules (the Pillow-exact resize is tested in UnimoG.Imaging.Tests).</summary>
public class PreprocessingTests
{
    [Theory]
    // GroundingDINO's get_size_with_aspect_ratio(size=800, max_size=1333) worked by hand: (H, W).
    [InlineData(640, 480, 800, 1066)]     // shorter side 480 -> 800, 640 * 800 / 480 = 1066.67 -> 1066
    [InlineData(480, 640, 1066, 800)]
    [InlineData(2000, 500, 333, 1332)]    // 4:1 passes 1333: size = round(1333 * 500 / 2000) = 333, W = int(333 * 4)
    [InlineData(800, 800, 800, 800)]      // already at size: unchanged
    [InlineData(275, 183, 800, 1202)]     // 275 * 800 / 183 = 1202.19
    public void Grounding_resize_follows_the_shorter_side_rule(int w, int h, int expectH, int expectW) =>
        Assert.Equal((expectH, expectW), GroundingDino.ResizeShortSide(w, h, 800, 1333));

    [Theory]
    // SAM's get_preprocess_shape(h, w, 1024): scale = 1024 / max, int(x * scale + 0.5).
    [InlineData(200, 300, 683, 1024)]     // 200 * 3.41333 = 682.67 -> 683
    [InlineData(781, 781, 1024, 1024)]
    [InlineData(183, 275, 681, 1024)]     // 183 * 3.72364 = 681.43 -> 681
    [InlineData(1800, 1200, 1024, 683)]
    public void SAM_resize_takes_the_longest_side_to_1024(int h, int w, int eh, int ew) =>
        Assert.Equal((eh, ew), SamSegmenter.PreprocessShape(h, w));

    [Fact]
    public void SAM_input_is_normalised_with_pixel_mean_and_std_and_zero_padded()
    {
        var image = DecodedImage.Solid(300, 200, 200, 100, 50);
        var t = SamSegmenter.ImageTensor(image);
        Assert.Equal(new[] { 1, 3, 1024, 1024 }, t.Dimensions.ToArray());
        // A flat colour stays flat through the resize: (v - mean) / std, per channel.
        Assert.Equal((200 - 123.675f) / 58.395f, t[0, 0, 0, 0], 5);
        Assert.Equal((100 - 116.28f) / 57.12f, t[0, 1, 682, 1023], 5);
        Assert.Equal((50 - 103.53f) / 57.375f, t[0, 2, 300, 500], 5);
        Assert.Equal(0f, t[0, 0, 683, 0]);     // padding below the 683 resized rows
        Assert.Equal(0f, t[0, 2, 1023, 1023]);
    }

    [Fact]
    public void SAM_box_prompt_is_scaled_into_the_1024_frame()
    {
        var p = SamSegmenter.BoxPoints(new(30, 40, 90, 100), 300, 200);
        // new size (683, 1024): x * 1024 / 300, y * 683 / 200.
        Assert.Equal(new[] { 30 * 1024f / 300, 40 * 683f / 200, 90 * 1024f / 300, 100 * 683f / 200 }, p);
    }
}
