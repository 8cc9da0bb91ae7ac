using UnimoG.EmojiWorld;
using UnimoG.EmojiWorld.Tests;
using UnimoG.Imaging;
using UnimoG.Mini.Bench;
using UnimoG.Mini.Tests.Support;

namespace UnimoG.Mini.Tests;

/// <summary>The EmojiBench comparison grid: references and each model's images in their cells.</summary>
public class EmojiBenchGridTests
{
    [Fact]
    public void A_grid_puts_references_and_each_models_images_in_their_cells()
    {
        using var synthetic = new SyntheticArt();
        using var art = synthetic.Open();
        var prompts = EmojiBenchPrompts.Generate(EmojiCatalog.Default, EmojiBenchSubset.Seen, 2);
        var subjects = new SubjectImages(art);
        byte[] Flat(byte r, byte g, byte b) => Enumerable.Range(0, 64 * 64).SelectMany(_ => new[] { r, g, b }).ToArray();
        // Two models, two images each: model 0 draws red then green, model 1 blue then black.
        var images = new List<IReadOnlyList<byte[]>[]>
        {
            prompts.Select(_ => (IReadOnlyList<byte[]>)[Flat(255, 0, 0), Flat(0, 255, 0)]).ToArray(),
            prompts.Select(_ => (IReadOnlyList<byte[]>)[Flat(0, 0, 255), Flat(0, 0, 0)]).ToArray(),
        };
        const int tile = 32;
        var grid = ImageDecoder.Decode(EmojiBenchGrid.Draw(prompts, subjects, ["full", "w/o Tuning"], images, tile, 2));
        // Layout constants of Draw: margin 8, gap 16, header 24, caption row 18 + 6, three reference tiles 2 px apart.
        const int margin = 8, gap = 16, header = 24, row = tile + 24;
        int x0 = margin + 3 * tile + 4 + gap, group = 2 * tile + 2;
        Assert.Equal(x0 + 2 * (group + gap) - gap + margin, grid.Width);
        Assert.Equal(header + 2 * row + margin, grid.Height);
        (byte, byte, byte) At(int x, int y) { var i = (y * grid.Width + x) * 4; return (grid.Rgba[i], grid.Rgba[i + 1], grid.Rgba[i + 2]); }
        for (var p = 0; p < 2; p++)
        {
            var cy = header + p * row + tile / 2;
            Assert.Equal((255, 0, 0), At(x0 + 3, cy));
            Assert.Equal((0, 255, 0), At(x0 + tile + 2 + 3, cy));
            Assert.Equal((0, 0, 255), At(x0 + group + gap + 3, cy));
            Assert.Equal((0, 0, 0), At(x0 + group + gap + tile + 2 + 3, cy));
            // The first reference tile is the subject's sprite on white: its flat colour is at the sprite's centre.
            var centre = subjects.Rgb(prompts[p].Entities[0].Hex);
            var k = (32 * 64 + 32) * 3;
            var px = At(margin + tile / 2, cy);
            Assert.Equal((centre[k], centre[k + 1], centre[k + 2]), px);
        }
    }
}
