namespace UnimoG.Imaging;

/// <summary>Operations on raw row-major 8-bit pixel buffers <c>[H, W, C]</c> (any channel count).</summary>
public static class ImageOps
{
    /// <summary>
    /// The <paramref name="cropWidth"/> x <paramref name="cropHeight"/> region with top-left corner
    /// (<paramref name="left"/>, <paramref name="top"/>), which may lie partly or wholly outside the image:
    /// those pixels are zero (PIL's <c>Image.crop</c>; transformers' <c>center_crop</c> pads with zeros too).
    /// </summary>
    public static byte[] Crop(byte[] pixels, int width, int height, int channels, int left, int top, int cropWidth, int cropHeight)
    {
        if (pixels.Length != checked(width * height * channels))
            throw new ArgumentException($"Buffer has {pixels.Length} bytes, {width}x{height}x{channels} expected.", nameof(pixels));
        if (cropWidth <= 0 || cropHeight <= 0)
            throw new ArgumentOutOfRangeException(nameof(cropWidth), $"Crop size must be positive, got {cropWidth}x{cropHeight}.");
        var output = new byte[checked(cropWidth * cropHeight * channels)];
        // Columns of the crop that fall inside the image: one block copy per row.
        int x0 = Math.Max(0, -left), x1 = Math.Min(cropWidth, width - left);
        if (x1 <= x0) return output;
        for (int y = 0; y < cropHeight; y++)
        {
            int sy = top + y;
            if (sy < 0 || sy >= height) continue;
            Buffer.BlockCopy(pixels, channels * (sy * width + left + x0), output, channels * (y * cropWidth + x0), channels * (x1 - x0));
        }
        return output;
    }
}
