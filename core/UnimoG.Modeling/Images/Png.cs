using UnimoG.Imaging;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Images;

/// <summary>Model images (channels first, values in [-1, 1]) to PNG files, through <see cref="PngEncoder"/>.</summary>
public static class Png
{
    /// <summary>[3, H, W] in [-1, 1] -> RGBA8888 bytes (alpha 255), rounded as <see cref="PixelRange.ToUint8"/>.</summary>
    public static byte[] ToRgba(Tensor image)
    {
        if (image.dim() != 3 || image.shape[0] != 3)
            throw new ArgumentException($"expected an image [3, H, W], got [{string.Join(", ", image.shape)}]");
        using var scope = NewDisposeScope();
        var rgb = PixelRange.ToUint8(image.cpu());                                                    // [3, H, W]
        var alpha = full(1, image.shape[1], image.shape[2], (byte)255, dtype: ScalarType.Byte);
        var rgba = cat([rgb, alpha], 0).permute(1, 2, 0).contiguous();                                 // [H, W, 4]
        return rgba.data<byte>().ToArray();
    }

    /// <summary>[3, H, W] in [-1, 1] -> PNG file bytes (RGBA, alpha 255).</summary>
    public static byte[] Encode(Tensor image) =>
        PngEncoder.EncodeRgba(ToRgba(image), (int)image.shape[2], (int)image.shape[1]);

    /// <summary>[B, 3, H, W] in [-1, 1] -> one PNG per row.</summary>
    public static IReadOnlyList<byte[]> EncodeBatch(Tensor images)
    {
        if (images.dim() != 4) throw new ArgumentException($"expected images [B, 3, H, W], got [{string.Join(", ", images.shape)}]");
        var result = new byte[images.shape[0]][];
        for (var i = 0; i < result.Length; i++)
        {
            using var row = images[i];
            result[i] = Encode(row);
        }
        return result;
    }
}
