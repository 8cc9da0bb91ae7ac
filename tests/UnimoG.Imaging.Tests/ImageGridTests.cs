
namespace UnimoG.Imaging.Tests;

public class ImageGridTests
{
    [Fact]
    public void Tiles_repeat_pixels_in_rows_with_a_gutter_of_the_background()
    {
        // Three 2x1 images (left pixel, right pixel), two columns, scale 2, gutter 1, grey ground.
        byte[] Image(byte v) => [v, v, v, (byte)(v + 1), (byte)(v + 1), (byte)(v + 1)];
        var png = ImageGrid.RenderPng([Image(10), Image(20), Image(30)], width: 2, height: 1, columns: 2, scale: 2, gutter: 1, new Rgb(128, 128, 128));
        var grid = ImageDecoder.Decode(png);
        // width: 2 columns * (2*2 + 1) + 1 = 11; height: 2 rows * (1*2 + 1) + 1 = 7
        Assert.Equal((11, 7, false), (grid.Width, grid.Height, grid.HasAlpha));
        byte At(int x, int y) => grid.Rgba[(y * grid.Width + x) * 4];
        Assert.Equal(128, At(0, 0));                                     // gutter
        Assert.Equal([10, 10, 11, 11], Enumerable.Range(1, 4).Select(x => At(x, 1)));
        Assert.Equal([10, 10, 11, 11], Enumerable.Range(1, 4).Select(x => At(x, 2)));  // rows repeated too
        Assert.Equal(128, At(5, 1));                                     // gutter between columns
        Assert.Equal([20, 20, 21, 21], Enumerable.Range(6, 4).Select(x => At(x, 1)));
        Assert.Equal([30, 30, 31, 31], Enumerable.Range(1, 4).Select(x => At(x, 4)));  // second row
        Assert.Equal(128, At(6, 4));                                     // the empty cell is ground
        Assert.Throws<ArgumentException>(() => ImageGrid.RenderPng([new byte[5]], 2, 1, 1, 1, 0, Rgb.White));
    }
}
