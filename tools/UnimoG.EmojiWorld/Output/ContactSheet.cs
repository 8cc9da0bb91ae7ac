using UnimoG.Imaging;

namespace UnimoG.EmojiWorld;

/// <summary>A grid of 64x64 RGB images, each enlarged by pixel repetition (true pixels), on a grey ground.</summary>
public static class ContactSheet
{
    public static byte[] RenderPng(IReadOnlyList<byte[]> rgbImages, int columns, int scale, int gutter = 4)
    {
        if (rgbImages.Count == 0) throw new ArgumentException("No images for the contact sheet.", nameof(rgbImages));
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        const int n = Sprite.Size;
        var rows = (rgbImages.Count + columns - 1) / columns;
        var cell = n * scale + gutter;
        int width = columns * cell + gutter, height = rows * cell + gutter;
        var sheet = new byte[width * height * 3];
        Array.Fill(sheet, (byte)128);
        for (var k = 0; k < rgbImages.Count; k++)
        {
            var image = rgbImages[k];
            if (image.Length != n * n * 3) throw new ArgumentException($"Image {k} is not 64x64 RGB.", nameof(rgbImages));
            int ox = gutter + k % columns * cell, oy = gutter + k / columns * cell;
            for (var y = 0; y < n * scale; y++)
            for (var x = 0; x < n * scale; x++)
            {
                var src = (y / scale * n + x / scale) * 3;
                var dst = ((oy + y) * width + ox + x) * 3;
                sheet[dst] = image[src];
                sheet[dst + 1] = image[src + 1];
                sheet[dst + 2] = image[src + 2];
            }
        }
        return PngEncoder.EncodeRgb(sheet, width, height);
    }
}
