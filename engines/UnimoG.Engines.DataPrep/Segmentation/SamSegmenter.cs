using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Engines.DataPrep.Onnx;
using UnimoG.Imaging;

namespace UnimoG.Engines.DataPrep.Segmentation;

/// <summary>Masks for boxes in one image.</summary>
public interface ISegmenter
{
    /// <summary>One mask per box (same size as the image); image-level work is done once per call.</summary>
    IReadOnlyList<Mask> Segment(DecodedImage image, IReadOnlyList<BoxXyxy> boxes, CancellationToken cancellationToken = default);
}

/// <summary>
/// Segment Anything through ONNX Runtime: an image encoder (one float32 input [1, 3, 1024, 1024], the image resized
/// so its longest side is 1024 (PIL bilinear), normalised with SAM's pixel mean/std and zero-padded at the bottom
/// and right; output <c>image_embeddings</c> [1, 256, 64, 64]) and the prompt decoder of segment-anything's
/// <c>scripts/export_onnx_model.py</c> (inputs <c>image_embeddings</c>, <c>point_coords</c> [1, N, 2],
/// <c>point_labels</c> [1, N] float, <c>mask_input</c> [1, 1, 256, 256], <c>has_mask_input</c> [1],
/// <c>orig_im_size</c> [2]; outputs <c>masks</c> [1, M, H, W] logits, <c>iou_predictions</c> [1, M],
/// <c>low_res_masks</c>). A box is the prompt: its corners with labels 2 and 3, in the 1024 frame. The mask with the
/// highest predicted IoU is taken and thresholded at <see cref="MaskThreshold"/>.
/// </summary>
public sealed class SamSegmenter : ISegmenter, IDisposable
{
    public const int ImageSize = 1024;
    private static readonly float[] PixelMean = [123.675f, 116.28f, 103.53f];
    private static readonly float[] PixelStd = [58.395f, 57.12f, 57.375f];

    private readonly InferenceSession _encoder, _decoder;
    private readonly string _encoderInput, _embeddingsOutput;
    private readonly int[] _maskInputShape;

    public SamSegmenter(string encoderPath, string decoderPath, OnnxOptions? onnx = null,
        Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        onnx ??= new OnnxOptions();
        _encoder = OnnxSessions.Create(encoderPath, onnx, logger);
        try
        {
            _decoder = OnnxSessions.Create(decoderPath, onnx, logger);
        }
        catch
        {
            _encoder.Dispose();
            throw;
        }
        try
        {
            var enc = Path.GetFileName(encoderPath);
            if (_encoder.InputMetadata.Count != 1)
                throw new InvalidDataException($"{enc}: a SAM image encoder has one input, this model has {_encoder.InputMetadata.Count}");
            var (name, meta) = _encoder.InputMetadata.First();
            if (meta.ElementType != typeof(float) || meta.Dimensions.Length != 4
                || meta.Dimensions.Zip(new[] { 1, 3, ImageSize, ImageSize }).Any(d => d.First > 0 && d.First != d.Second))
                throw new InvalidDataException($"{enc}: input '{name}' must be float32 [1, 3, 1024, 1024] " +
                    $"(the preprocessed image), it is {meta.ElementType.Name} [{string.Join(", ", meta.Dimensions)}]");
            _encoderInput = name;
            _embeddingsOutput = _encoder.OutputMetadata.ContainsKey("image_embeddings") ? "image_embeddings"
                : _encoder.OutputMetadata.Count == 1 ? _encoder.OutputMetadata.Keys.First()
                : throw new InvalidDataException($"{enc}: no output 'image_embeddings' (it has: {string.Join(", ", _encoder.OutputMetadata.Keys)})");

            var dec = Path.GetFileName(decoderPath);
            foreach (var input in new[] { "image_embeddings", "point_coords", "point_labels", "mask_input", "has_mask_input", "orig_im_size" })
                OnnxSessions.RequireInput(_decoder, dec, input, typeof(float));
            OnnxSessions.RequireOutput(_decoder, dec, "masks");
            OnnxSessions.RequireOutput(_decoder, dec, "iou_predictions");
            var maskDims = _decoder.InputMetadata["mask_input"].Dimensions;
            _maskInputShape = maskDims.Length == 4 && maskDims.All(d => d > 0) ? maskDims : [1, 1, 256, 256];
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Mask logits above this are foreground (SAM's <c>mask_threshold</c>).</summary>
    public float MaskThreshold { get; init; }

    /// <summary>SAM's <c>ResizeLongestSide.get_preprocess_shape</c>: (newH, newW).</summary>
    public static (int H, int W) PreprocessShape(int h, int w, int longSide = ImageSize)
    {
        var scale = longSide * 1.0 / Math.Max(h, w);
        return ((int)(h * scale + 0.5), (int)(w * scale + 0.5));
    }

    /// <summary>The encoder input [1, 3, 1024, 1024]: resized, normalised, zero-padded.</summary>
    public static DenseTensor<float> ImageTensor(DecodedImage image)
    {
        var (h, w) = PreprocessShape(image.Height, image.Width);
        var rgb = PilResize.Resize(image.ToRgb(null), image.Width, image.Height, 3, w, h, PilFilter.Bilinear);
        var t = new DenseTensor<float>([1, 3, ImageSize, ImageSize]);
        var data = t.Buffer.Span;
        for (var c = 0; c < 3; c++)
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
            data[(c * ImageSize + y) * ImageSize + x] = (rgb[(y * w + x) * 3 + c] - PixelMean[c]) / PixelStd[c];
        return t;
    }

    /// <summary>A pixel box as the decoder's two corner points (labels 2, 3), in the resized 1024 frame. [2, 2].</summary>
    public static float[] BoxPoints(BoxXyxy box, int width, int height)
    {
        var (nh, nw) = PreprocessShape(height, width);
        var (sx, sy) = ((float)nw / width, (float)nh / height);
        return [box.X0 * sx, box.Y0 * sy, box.X1 * sx, box.Y1 * sy];
    }

    public IReadOnlyList<Mask> Segment(DecodedImage image, IReadOnlyList<BoxXyxy> boxes, CancellationToken cancellationToken = default)
    {
        if (boxes.Count == 0)
            return [];
        DenseTensor<float> embeddings;
        using (var encoded = _encoder.Run([NamedOnnxValue.CreateFromTensor(_encoderInput, ImageTensor(image))], [_embeddingsOutput]))
        {
            var e = encoded[0].AsTensor<float>();
            embeddings = new DenseTensor<float>(e.ToArray(), e.Dimensions.ToArray());
        }
        var masks = new List<Mask>(boxes.Count);
        foreach (var box in boxes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            masks.Add(Decode(embeddings, box, image.Width, image.Height));
        }
        return masks;
    }

    private Mask Decode(DenseTensor<float> embeddings, BoxXyxy box, int width, int height)
    {
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("image_embeddings", embeddings),
            NamedOnnxValue.CreateFromTensor("point_coords", new DenseTensor<float>(BoxPoints(box, width, height), [1, 2, 2])),
            NamedOnnxValue.CreateFromTensor("point_labels", new DenseTensor<float>(new[] { 2f, 3f }, [1, 2])),
            NamedOnnxValue.CreateFromTensor("mask_input", new DenseTensor<float>(_maskInputShape)),
            NamedOnnxValue.CreateFromTensor("has_mask_input", new DenseTensor<float>(new[] { 0f }, [1])),
            NamedOnnxValue.CreateFromTensor("orig_im_size", new DenseTensor<float>(new[] { (float)height, width }, [2])),
        };
        using var outputs = _decoder.Run(inputs, ["masks", "iou_predictions"]);
        var masks = outputs[0].AsTensor<float>();
        var iou = outputs[1].AsTensor<float>();
        var d = masks.Dimensions.ToArray();
        if (d.Length != 4 || d[0] != 1 || d[2] != height || d[3] != width || iou.Length != d[1])
            throw new InvalidDataException(
                $"SAM decoder returned masks [{string.Join(", ", d)}] and iou_predictions of {iou.Length}; expected [1, M, {height}, {width}] and M");
        var best = 0;
        for (var m = 1; m < d[1]; m++)
            if (iou[0, m] > iou[0, best]) best = m;
        // [1, M, H, W] row-major: mask `best` is one contiguous plane.
        var plane = masks is DenseTensor<float> dense
            ? dense.Buffer.Span.Slice(best * width * height, width * height)
            : masks.ToArray().AsSpan(best * width * height, width * height);
        var data = new bool[width * height];
        for (var i = 0; i < data.Length; i++)
            data[i] = plane[i] > MaskThreshold;
        return new Mask(width, height, data);
    }

    public void Dispose()
    {
        _encoder?.Dispose();
        _decoder?.Dispose();
    }
}
