using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Imaging;

namespace UnimoG.Engines.DataPrep.Segmentation;

/// <summary>
/// Masks from an alpha channel (synthetic data: entity images with alpha composed into scenes). A pixel belongs to
/// the mask when its alpha is at least <see cref="Threshold"/>.
/// </summary>
public static class AlphaMasks
{
    /// <summary>Alpha at or above this is foreground (half opacity by default).</summary>
    public const byte Threshold = 128;

    /// <summary>The alpha mask of <paramref name="image"/>, restricted to <paramref name="box"/> when one is given.</summary>
    public static Mask FromAlpha(DecodedImage image, BoxXyxy? box = null, byte threshold = Threshold)
    {
        if (!image.HasAlpha)
            throw new InvalidDataException("alpha masks: the image has no alpha channel");
        var data = new bool[image.Width * image.Height];
        for (var i = 0; i < data.Length; i++)
            data[i] = image.Rgba[i * 4 + 3] >= threshold;
        var mask = new Mask(image.Width, image.Height, data);
        return box is { } b ? mask.ClipTo(b) : mask;
    }
}
