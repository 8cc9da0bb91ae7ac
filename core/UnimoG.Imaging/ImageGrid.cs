namespace UnimoG.Imaging;

/// <summary>
/// The one sample-grid writer: equal-size RGB images in rows of <c>columns</c>, each enlarged by pixel repetition
/// (true pixels: what nearest-neighbour scaling by a whole factor gives), separated and framed by a gutter of
/// <c>background</c>, encoded through <see cref="PngEncoder"/> (so equal grids give equal bytes).
/// </summary>
public static class ImageGrid
{
    /// <param name="rgbImages">Row-major RGB images of <paramref name="width"/> x <paramref name="height"/>, in reading order.</param>
    public static byte[] RenderPng(IReadOnlyList<byte[]> rgbImages, int width, int height, int columns, int scale, int gutter, Rgb background)
    {
        if (rgbImages.Count == 0) throw new ArgumentException("No images for the grid.", nameof(rgbImages));
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(gutter);
        var rows = (rgbImages.Count + columns - 1) / columns;
        int cellW = width * scale + gutter, cellH = height * scale + gutter;
        int sheetW = columns * cellW + gutter, sheetH = rows * cellH + gutter;
        var sheet = new byte[checked(sheetW * sheetH * 3)];
        for (var i = 0; i < sheet.Length; i += 3) (sheet[i], sheet[i + 1], sheet[i + 2]) = (background.R, background.G, background.B);
        for (var k = 0; k < rgbImages.Count; k++)
        {
            var image = rgbImages[k];
            if (image.Length != width * height * 3) throw new ArgumentException($"Image {k} has {image.Length} bytes, not {width}x{height} RGB.", nameof(rgbImages));
            int ox = gutter + k % columns * cellW, oy = gutter + k / columns * cellH;
            for (var y = 0; y < height * scale; y++)
                for (var x = 0; x < width * scale; x++)
                    Buffer.BlockCopy(image, (y / scale * width + x / scale) * 3, sheet, ((oy + y) * sheetW + ox + x) * 3, 3);
        }
        return PngEncoder.EncodeRgb(sheet, sheetW, sheetH);
    }
}
