using System.Runtime.InteropServices;
using SkiaSharp;

namespace UnimoG.Imaging;

/// <summary>
/// Decoding straight to a reduced size (<see cref="DecodePlan.StoredFactors"/>), in the stored orientation, holding
/// the reduced image and a row or two, never width x height x 4: PNG through <see cref="PngRows"/>, JPEG through
/// Skia's scanlines, both into a <see cref="BoxReducer"/>; WebP by libwebp's own scaling (an area average).
/// </summary>
internal static class ScaledDecoder
{
    public static byte[] Decode(SKCodec codec, ImageFormat format, byte[] data, SKImageInfo info, DecodePlan plan)
    {
        var (fx, fy) = plan.StoredFactors;
        switch (format)
        {
            case ImageFormat.Png:
                var png = new BoxReducer(info.Width, info.Height, fx, fy, plan.Interlaced);
                PngRows.Read(data, png.Add);
                return png.Finish();
            case ImageFormat.Jpeg:
                return Scanlines(codec, info, fx, fy, data.Length);
            case ImageFormat.WebP:
                return WebP(codec, info, fx, fy, data.Length);
            default:
                throw new InvalidOperationException($"{format} has no scaled decoding.");
        }
    }

    private static byte[] Scanlines(SKCodec codec, SKImageInfo info, int fx, int fy, int fileLength)
    {
        var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var started = codec.StartScanlineDecode(target);
        if (started != SKCodecResult.Success || codec.ScanlineOrder != SKCodecScanlineOrder.TopDown)
            throw ImageDecoder.Corrupt(ImageFormat.Jpeg, $"scanline decoding failed ({started}, {codec.ScanlineOrder})");
        var reducer = new BoxReducer(info.Width, info.Height, fx, fy, wholeImage: false);
        var row = new byte[4 * info.Width];
        var pinned = GCHandle.Alloc(row, GCHandleType.Pinned);
        try
        {
            for (int y = 0; y < info.Height; y++)
            {
                // Fewer lines than asked for: the data ended (Skia fills nothing in for them).
                if (codec.GetScanlines(pinned.AddrOfPinnedObject(), 1, row.Length) != 1)
                    throw ImageDecoder.Truncated(ImageFormat.Jpeg, fileLength);
                reducer.Add(y, 0, 1, row);
            }
        }
        finally
        {
            pinned.Free();
        }
        return reducer.Finish();
    }

    private static byte[] WebP(SKCodec codec, SKImageInfo info, int fx, int fy, int fileLength)
    {
        int w = (info.Width + fx - 1) / fx, h = (info.Height + fy - 1) / fy;
        var rgba = new byte[checked(4 * w * h)];
        var result = codec.GetPixels(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul), rgba);
        return result switch
        {
            SKCodecResult.Success => rgba,
            SKCodecResult.IncompleteInput => throw ImageDecoder.Truncated(ImageFormat.WebP, fileLength),
            _ => throw ImageDecoder.Corrupt(ImageFormat.WebP, result.ToString()),
        };
    }
}
