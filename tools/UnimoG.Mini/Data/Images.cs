using TorchSharp;
using UnimoG.Imaging;
using UnimoG.Modeling.Images;
using static TorchSharp.torch;

namespace UnimoG.Mini.Data;

/// <summary>Pixel conversions shared by the trainers: bytes to tensors and CLIP normalisation (the [-1, 1] range is <see cref="PixelRange"/>).</summary>
public static class Images
{
    public const int N = MiniConfigs.ImageSize;

    /// <summary>Row-major RGB images [N*N*3 each] to a uint8 tensor [B, 3, N, N].</summary>
    public static Tensor ToUint8(IReadOnlyList<byte[]> rgb)
    {
        var all = new byte[rgb.Count * N * N * 3];
        for (var i = 0; i < rgb.Count; i++)
        {
            if (rgb[i].Length != N * N * 3) throw new ArgumentException($"image {i} has {rgb[i].Length} bytes, expected {N}x{N}x3");
            Buffer.BlockCopy(rgb[i], 0, all, i * N * N * 3, N * N * 3);
        }
        return torch.tensor(all, ScalarType.Byte).view(rgb.Count, N, N, 3).permute(0, 3, 1, 2).contiguous(); // [B, 3, N, N]
    }

    /// <summary>
    /// CLIP pixel values of 64x64 RGB images: (x / 255 - mean) / std per channel, what <see cref="ClipImageProcessor"/>
    /// with <see cref="MiniConfigs.PreprocessorJson"/> gives for a 64x64 image (its resize and crop leave it as it is).
    /// </summary>
    public static Tensor ClipPixels(Tensor uint8OrUnit, bool unitRange = false)
    {
        using var scope = torch.NewDisposeScope();
        var x = unitRange ? uint8OrUnit.to_type(ScalarType.Float32) : uint8OrUnit.to_type(ScalarType.Float32) / 255f;
        var mean = torch.tensor(ClipImageProcessorConfig.ClipMean).view(1, 3, 1, 1);
        var std = torch.tensor(ClipImageProcessorConfig.ClipStd).view(1, 3, 1, 1);
        return ((x - mean) / std).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Entity images as the MLLM sees them in a prompt: a reference emoji on white, or an entity cut out of a scene by
/// its mask (alpha &gt;= 128), cropped to its box, padded to a square on white and resized to 64x64 (Pillow bicubic).
/// Data preparation's segment crops are tight boxes; pad them the same way before encoding.
/// </summary>
public static class EntityImages
{
    private const int N = MiniConfigs.ImageSize;

    /// <summary>The scene's pixels under entity <paramref name="index"/>'s mask, on white, boxed, squared and resized to 64x64 RGB.</summary>
    public static byte[] CutOut(Scene scene, int index)
    {
        var layer = scene.Layer(index);
        var box = scene.Record.Entities[index].Box; // [x0, y0, x1, y1)
        return SquareOnWhite(scene.Rgb, layer, N, box[0], box[1], box[2], box[3]);
    }

    /// <summary>
    /// RGB pixels where <paramref name="maskRgba"/>'s alpha &gt;= 128 (white elsewhere), cropped to [x0, x1) x [y0, y1),
    /// centred on a white square of the larger side, then resized to 64x64 with Pillow's bicubic filter.
    /// </summary>
    public static byte[] SquareOnWhite(byte[] rgb, byte[] maskRgba, int width, int x0, int y0, int x1, int y1)
    {
        var (w, h) = (x1 - x0, y1 - y0);
        if (w <= 0 || h <= 0) throw new ArgumentException($"empty entity box [{x0}, {y0}, {x1}, {y1})");
        var side = Math.Max(w, h);
        var square = new byte[side * side * 3];
        Array.Fill(square, (byte)255);
        var (ox, oy) = ((side - w) / 2, (side - h) / 2);
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
        {
            var s = (y0 + y) * width + x0 + x;
            if (maskRgba[s * 4 + 3] < UnimoG.EmojiWorld.SceneRenderer.MaskAlpha) continue;
            var d = ((oy + y) * side + ox + x) * 3;
            square[d] = rgb[s * 3];
            square[d + 1] = rgb[s * 3 + 1];
            square[d + 2] = rgb[s * 3 + 2];
        }
        return side == N ? square : PilResize.Resize(square, side, side, 3, N, N, PilFilter.Bicubic);
    }
}
