using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Engines.DataPrep.Onnx;
using UnimoG.Imaging;

namespace UnimoG.Engines.DataPrep.Grounding;

/// <summary>Thresholds and image size of Grounding DINO (defaults: GroundingDINO's demo and transforms).</summary>
public sealed record GroundingOptions
{
    /// <summary>A query is kept when its highest token probability passes this.</summary>
    public float BoxThreshold { get; init; } = 0.35f;

    /// <summary>A kept query names a phrase when one of the phrase's tokens passes this.</summary>
    public float TextThreshold { get; init; } = 0.25f;

    /// <summary>Shorter image side after resizing (GroundingDINO: <c>RandomResize([800], max_size=1333)</c>).</summary>
    public int ShortSide { get; init; } = 800;
    public int MaxSize { get; init; } = 1333;
    public int MaxTextLength { get; init; } = 256;
}

/// <summary>A box for one phrase: pixels in the input image, and the phrase's mean token probability for it.</summary>
public sealed record GroundedBox(BoxXyxy Box, float Score);

/// <summary>Finds one box per phrase in an image; <c>null</c> where the phrase was not found.</summary>
public interface IGrounder
{
    IReadOnlyList<GroundedBox?> Ground(DecodedImage image, IReadOnlyList<string> phrases, CancellationToken cancellationToken = default);
}

/// <summary>
/// Grounding DINO through ONNX Runtime. Inputs: <c>img</c> float32 [1, 3, H, W]; <c>input_ids</c>,
/// <c>position_ids</c>, <c>token_type_ids</c> int64 [1, L]; <c>attention_mask</c> bool (or int64) [1, L];
/// <c>text_token_mask</c> bool [1, L, L]. Outputs: <c>logits</c> [1, Q, 256] (before the sigmoid; tokens past L are
/// -inf) and <c>boxes</c> [1, Q, 4] (cx, cy, w, h normalised to the image). See docs/dataprep.md.
/// </summary>
public sealed class GroundingDino : IGrounder, IDisposable
{
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    private readonly InferenceSession _session;
    private readonly GroundingTokenizer _tokenizer;
    private readonly GroundingOptions _options;
    private readonly bool _attentionMaskIsBool;
    private readonly (int H, int W)? _fixedSize;

    public GroundingDino(string modelPath, string vocabPath, GroundingOptions? options = null, OnnxOptions? onnx = null,
        Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        _options = options ?? new GroundingOptions();
        _tokenizer = new GroundingTokenizer(vocabPath, _options.MaxTextLength);
        _session = OnnxSessions.Create(modelPath, onnx ?? new OnnxOptions(), logger);
        try
        {
            var model = Path.GetFileName(modelPath);
            OnnxSessions.RequireInput(_session, model, "img", typeof(float));
            OnnxSessions.RequireInput(_session, model, "input_ids", typeof(long));
            OnnxSessions.RequireInput(_session, model, "position_ids", typeof(long));
            OnnxSessions.RequireInput(_session, model, "token_type_ids", typeof(long));
            OnnxSessions.RequireInput(_session, model, "text_token_mask", typeof(bool));
            _attentionMaskIsBool = OnnxSessions.RequireInput(_session, model, "attention_mask", typeof(bool), typeof(long)) == typeof(bool);
            OnnxSessions.RequireOutput(_session, model, "logits");
            OnnxSessions.RequireOutput(_session, model, "boxes");
            var dims = _session.InputMetadata["img"].Dimensions;
            if (dims.Length != 4 || (dims[1] != 3 && dims[1] > 0))
                throw new InvalidDataException($"{model}: input 'img' must be [1, 3, H, W], it is [{string.Join(", ", dims)}]");
            // Exports traced without dynamic axes have a fixed image size: resize to exactly that.
            if (dims[2] > 0 && dims[3] > 0)
                _fixedSize = (dims[2], dims[3]);
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    public GroundingTokenizer Tokenizer => _tokenizer;

    /// <summary>The resized image size (H, W) the model sees for an image of <paramref name="width"/> x <paramref name="height"/>.</summary>
    public (int H, int W) InputSize(int width, int height) =>
        _fixedSize ?? ResizeShortSide(width, height, _options.ShortSide, _options.MaxSize);

    /// <summary>GroundingDINO's <c>get_size_with_aspect_ratio</c>: shorter side to <paramref name="size"/>, longer side at most <paramref name="maxSize"/>.</summary>
    public static (int H, int W) ResizeShortSide(int w, int h, int size, int maxSize)
    {
        double min = Math.Min(w, h), max = Math.Max(w, h);
        if (max / min * size > maxSize)
            size = (int)Math.Round(maxSize * min / max, MidpointRounding.ToEven);
        if ((w <= h && w == size) || (h <= w && h == size))
            return (h, w);
        return w < h ? ((int)((double)size * h / w), size) : (size, (int)((double)size * w / h));
    }

    /// <summary>The <c>img</c> tensor: PIL-bilinear resize, /255, ImageNet mean and std. [1, 3, H, W].</summary>
    public DenseTensor<float> ImageTensor(DecodedImage image)
    {
        var (h, w) = InputSize(image.Width, image.Height);
        var rgb = PilResize.Resize(image.ToRgb(null), image.Width, image.Height, 3, w, h, PilFilter.Bilinear);
        var t = new DenseTensor<float>([1, 3, h, w]);
        var data = t.Buffer.Span;
        for (var c = 0; c < 3; c++)
        for (var i = 0; i < h * w; i++)
            data[c * h * w + i] = (rgb[i * 3 + c] / 255f - Mean[c]) / Std[c];
        return t;
    }

    public IReadOnlyList<GroundedBox?> Ground(DecodedImage image, IReadOnlyList<string> phrases, CancellationToken cancellationToken = default)
    {
        var result = new GroundedBox?[phrases.Count];
        if (phrases.Count == 0)
            return result;
        var img = ImageTensor(image);
        foreach (var text in _tokenizer.Build(phrases))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (logits, boxes, queries) = Run(img, text);
            var found = Decode(logits, boxes, queries, text, _options.BoxThreshold, _options.TextThreshold);
            foreach (var (phrase, box, score) in found)
            {
                var b = box;
                var px = new BoxXyxy((b.X0) * image.Width, b.Y0 * image.Height, b.X1 * image.Width, b.Y1 * image.Height)
                    .ClampTo(image.Width, image.Height);
                if (px.Width > 0 && px.Height > 0)
                    result[phrase] = new GroundedBox(px, score);
            }
        }
        return result;
    }

    private (float[] Logits, float[] Boxes, int Queries) Run(DenseTensor<float> img, GroundingText text)
    {
        var l = text.Length;
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("img", img),
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(text.InputIds, [1, l])),
            NamedOnnxValue.CreateFromTensor("position_ids", new DenseTensor<long>(text.PositionIds, [1, l])),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(text.TokenTypeIds, [1, l])),
            NamedOnnxValue.CreateFromTensor("text_token_mask", new DenseTensor<bool>(text.TextTokenMask, [1, l, l])),
            _attentionMaskIsBool
                ? NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<bool>(text.AttentionMask, [1, l]))
                : NamedOnnxValue.CreateFromTensor("attention_mask",
                    new DenseTensor<long>(text.AttentionMask.Select(m => m ? 1L : 0L).ToArray(), [1, l])),
        };
        using var outputs = _session.Run(inputs, ["logits", "boxes"]);
        var logits = outputs[0].AsTensor<float>();
        var boxes = outputs[1].AsTensor<float>();
        var (ld, bd) = (logits.Dimensions.ToArray(), boxes.Dimensions.ToArray());
        if (ld.Length != 3 || ld[0] != 1 || ld[2] < l || bd.Length != 3 || bd[0] != 1 || bd[1] != ld[1] || bd[2] != 4)
            throw new InvalidDataException(
                $"grounding model returned logits [{string.Join(", ", ld)}] and boxes [{string.Join(", ", bd)}]; expected [1, Q, 256] and [1, Q, 4]");
        // Keep only the first L token columns: [Q, L].
        var (q, width) = (ld[1], ld[2]);
        var all = logits is DenseTensor<float> dense ? dense.Buffer.Span : logits.ToArray();
        var kept = new float[q * l];
        for (var i = 0; i < q; i++)
            all.Slice(i * width, l).CopyTo(kept.AsSpan(i * l, l));
        return (kept, boxes.ToArray(), q);
    }

    /// <summary>
    /// Per phrase, the best query. Probabilities are sigmoid(logits) [Q, L]. A query is kept when its highest token
    /// probability exceeds <paramref name="boxThreshold"/> (GroundingDINO's filter); its phrase is the one with the
    /// highest mean probability over the phrase's tokens among phrases with a token above
    /// <paramref name="textThreshold"/>; that mean is the score. Each phrase keeps its highest-scoring query.
    /// Boxes come back as normalised (x0, y0, x1, y1).
    /// </summary>
    public static List<(int Phrase, BoxXyxy Box, float Score)> Decode(float[] logits, float[] boxes, int queries,
        GroundingText text, float boxThreshold, float textThreshold)
    {
        var l = text.Length;
        var tokensOf = text.Phrases.ToDictionary(p => p, p => Enumerable.Range(0, l).Where(t => text.TokenPhrase[t] == p).ToArray());
        var best = new Dictionary<int, (int Query, float Score)>();
        for (var q = 0; q < queries; q++)
        {
            var max = 0f;
            for (var t = 0; t < l; t++)
                max = Math.Max(max, Sigmoid(logits[q * l + t]));
            if (!(max > boxThreshold))
                continue;
            var (phrase, score) = (-1, float.NegativeInfinity);
            foreach (var (p, tokens) in tokensOf)
            {
                if (!tokens.Any(t => Sigmoid(logits[q * l + t]) > textThreshold))
                    continue;
                var mean = tokens.Average(t => Sigmoid(logits[q * l + t]));
                if (mean > score)
                    (phrase, score) = (p, mean);
            }
            if (phrase >= 0 && (!best.TryGetValue(phrase, out var b) || score > b.Score))
                best[phrase] = (q, score);
        }
        return best.OrderBy(kv => kv.Key).Select(kv =>
        {
            var o = kv.Value.Query * 4;
            var (cx, cy, w, h) = (boxes[o], boxes[o + 1], boxes[o + 2], boxes[o + 3]);
            return (kv.Key, new BoxXyxy(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), kv.Value.Score);
        }).ToList();
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    public void Dispose() => _session.Dispose();
}
