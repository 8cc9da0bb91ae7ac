using UnimoG.Imaging;
using UnimoG.Modeling.Images;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Data;

/// <summary>
/// Scene images and entity masks to a bucket's size: resize so the image covers Width x Height (Pillow-exact bicubic,
/// as diffusers' training scripts), then crop the centre. Masks follow the same geometry (bilinear, same crop).
/// </summary>
public static class ImageTransform
{
    /// <summary>The resized (cover) size and the crop offsets for an image of <paramref name="w"/> x <paramref name="h"/>.</summary>
    public static (int Rw, int Rh, int X0, int Y0) Geometry(int w, int h, Bucket bucket)
    {
        var scale = Math.Max((double)bucket.Width / w, (double)bucket.Height / h);
        var rw = Math.Max(bucket.Width, (int)Math.Round(w * scale));
        var rh = Math.Max(bucket.Height, (int)Math.Round(h * scale));
        return (rw, rh, (rw - bucket.Width) / 2, (rh - bucket.Height) / 2);
    }

    /// <summary>[3, Height, Width] float32 in [-1, 1]; alpha is composited over white.</summary>
    public static Tensor Pixels(byte[] encoded, Bucket bucket, string what)
    {
        DecodedImage image;
        try
        {
            image = ImageDecoder.Decode(encoded);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{what}: {e.Message}", e);
        }
        var rgb = image.ToRgb(Rgb.White);
        var (rw, rh, x0, y0) = Geometry(image.Width, image.Height, bucket);
        if (rw != image.Width || rh != image.Height)
            rgb = PilResize.Resize(rgb, image.Width, image.Height, 3, rw, rh, PilFilter.Bicubic);
        using var scope = NewDisposeScope();
        var t = tensor(rgb, ScalarType.Byte).reshape(rh, rw, 3)                       // [H, W, 3]
            .narrow(0, y0, bucket.Height).narrow(1, x0, bucket.Width)
            .permute(2, 0, 1);                                                            // [3, h, w]
        return PixelRange.ToSigned(t).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>A row-major 0/1 mask of the original image as [Height, Width] in [0, 1] at the bucket's size.</summary>
    public static Tensor Mask(float[] mask, int w, int h, Bucket bucket)
    {
        var (rw, rh, x0, y0) = Geometry(w, h, bucket);
        using var scope = NewDisposeScope();
        var m = tensor(mask).reshape(1, 1, h, w);
        if (rw != w || rh != h) m = nn.functional.interpolate(m, [rh, rw], mode: InterpolationMode.Bilinear, align_corners: false);
        return m[0, 0].narrow(0, y0, bucket.Height).narrow(1, x0, bucket.Width).contiguous().MoveToOuterDisposeScope();
    }
}
