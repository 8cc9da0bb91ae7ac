using UnimoG.Imaging;

namespace UnimoG.Engines.Trainer.Data;

/// <summary>
/// An entity segment as the encoder gets it: centred on a transparent square of its longer side, which the CLIP
/// preprocessing composites over white. Data preparation crops segments to the entity's box, so they are tall or
/// wide; CLIP's shortest-edge resize and centre crop would zoom into the middle of such a segment and cut the rest,
/// unlike the square reference images a user gives at generation time and the squared cut-outs the mini MLLM was
/// trained on (docs/mini-model.md). Both condition paths (in process and the Encoder service) use this.
/// </summary>
public static class EntitySegments
{
    public static DecodedImage Square(DecodedImage image)
    {
        if (image.Width == image.Height) return image;
        var side = Math.Max(image.Width, image.Height);
        var rgba = new byte[side * side * 4];   // transparent: white after the preprocessing's compositing
        var (ox, oy) = ((side - image.Width) / 2, (side - image.Height) / 2);
        for (var y = 0; y < image.Height; y++)
            Array.Copy(image.Rgba, y * image.Width * 4, rgba, ((oy + y) * side + ox) * 4, image.Width * 4);
        return new DecodedImage(side, side, rgba, hasAlpha: true);
    }

    /// <summary>The squared segment as PNG bytes (for the Encoder service); square segments unchanged.</summary>
    public static byte[] SquarePng(byte[] png)
    {
        var image = ImageDecoder.Decode(png);
        return image.Width == image.Height ? png : PngEncoder.EncodeRgba(Square(image).Rgba, Math.Max(image.Width, image.Height), Math.Max(image.Width, image.Height));
    }
}
