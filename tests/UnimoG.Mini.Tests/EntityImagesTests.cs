using System.Text.Json;
using TorchSharp;
using UnimoG.Mini.Data;
using UnimoG.Mini.Training;
using UnimoG.Mini.Vae;
using UnimoG.Modeling.Images;
using static TorchSharp.torch;
using UnimoG.Imaging;
using UnimoG.Data.Config;

namespace UnimoG.Mini.Tests;

/// <summary>Entity reference images: the masked box centred on a white square.</summary>
public class EntityImagesTests
{
    [Fact]
    public void Square_on_white_centres_the_masked_box()
    {
        // A 4x4 image: box [1, 3) x [0, 4) (2 wide, 4 tall); only pixel (1, 1) and (2, 3) are in the mask.
        var rgb = Enumerable.Range(0, 4 * 4 * 3).Select(i => (byte)(i + 1)).ToArray();
        var mask = new byte[4 * 4 * 4];
        mask[(1 * 4 + 1) * 4 + 3] = 200;
        mask[(3 * 4 + 2) * 4 + 3] = 128;
        var square = EntityImages.SquareOnWhite(rgb, mask, 4, 1, 0, 3, 4);
        Assert.Equal(64 * 64 * 3, square.Length);
        // Before resizing to 64x64 the square is 4x4 (the box's taller side) with the 2-wide box at x offset 1:
        // box column 0 (image x 1) lands at x 1, box column 1 (image x 2) at x 2; everything else is white.
        var expected = Enumerable.Repeat((byte)255, 4 * 4 * 3).ToArray();
        Array.Copy(rgb, (1 * 4 + 1) * 3, expected, (1 * 4 + 1) * 3, 3);
        Array.Copy(rgb, (3 * 4 + 2) * 3, expected, (3 * 4 + 2) * 3, 3);
        Assert.Equal(PilResize.Resize(expected, 4, 4, 3, 64, 64, PilFilter.Bicubic), square);
    }
}
