using TorchSharp;
using UnimoG.Mini.Evaluators;
using static TorchSharp.torch;

namespace UnimoG.Mini.Bench;

/// <summary>One generated image to score: its pixels, the prompt's subjects (reference images and catalog hex codes) and text.</summary>
/// <param name="Image">64x64 RGB, row-major (64*64*3 bytes).</param>
/// <param name="Subjects">Indices into the subject list passed alongside (the prompt's &lt;imgN&gt; references).</param>
/// <param name="Text">The prompt with every image replaced by its entity's phrase ("a dog wearing sunglasses"), for CLIP-T.</param>
/// <param name="Named">Catalog hex codes of every entity the prompt names or shows, for the recognition share.</param>
public sealed record ScoredImage(byte[] Image, int[] Subjects, string Text, string[] Named);

/// <summary>Per-image scores (each metric's mean over images is the table entry).</summary>
public sealed record EmojiBenchScores(double[] Dino, double[] ClipI, double[] ClipT, double[] Recognition);

/// <summary>
/// EmojiBench's metrics, after the paper's Tables 2-3 (MultiBench protocol), computed by our evaluator networks:
/// <list type="bullet">
/// <item>DINO: cosine between the generated image's and each subject image's DINO-like features, averaged over the prompt's subjects.</item>
/// <item>CLIP-I: the same with the CLIP-like image tower.</item>
/// <item>CLIP-T: cosine between the generated image and the prompt text (images replaced by their entity phrases).</item>
/// <item>Recognition: the share of the entities the prompt names or shows that the classifier finds (p &gt; 0.5) in the image.</item>
/// </list>
/// The pure functions on features are separate from the network calls, so they are checked on constructed vectors.
/// </summary>
public static class EmojiBenchMetrics
{
    public const double RecognitionThreshold = 0.5;

    public static EmojiBenchScores Score(EvaluatorSet evaluators, IReadOnlyList<ScoredImage> images, IReadOnlyList<byte[]> subjectImages)
    {
        if (images.Count == 0) throw new ArgumentException("no images to score");
        using var scope = torch.NewDisposeScope();
        var generated = Data.Images.ToUint8(images.Select(i => i.Image).ToList());
        var subjects = subjectImages.Count > 0 ? Data.Images.ToUint8(subjectImages) : null;
        var subjectsOf = images.Select(i => i.Subjects).ToList();
        double[] Subject(Func<Tensor, Tensor> features) => subjects is null
            ? images.Select(_ => double.NaN).ToArray()
            : MeanSubjectCosine(features(generated), features(subjects), subjectsOf);
        var dino = Subject(evaluators.DinoFeatures);
        var clipI = Subject(evaluators.ClipImageFeatures);
        var clipT = PairCosine(evaluators.ClipImageFeatures(generated), evaluators.ClipTextFeatures(images.Select(i => i.Text).ToList()));
        var labels = images.Select(i => i.Named.Select(evaluators.LabelIndex).ToArray()).ToList();
        var recognition = RecognisedShare(evaluators.Recognise(generated), labels, RecognitionThreshold);
        return new EmojiBenchScores(dino, clipI, clipT, recognition);
    }

    /// <summary>For each image i: the mean over its subjects s of cos(generated[i], subject[s]); NaN for an image without subjects.</summary>
    /// <param name="generated">[N, D] features</param>
    /// <param name="subjects">[M, D] features</param>
    public static double[] MeanSubjectCosine(Tensor generated, Tensor subjects, IReadOnlyList<int[]> subjectsOf)
    {
        using var scope = torch.NewDisposeScope();
        var cos = Cosines(generated, subjects);                                                    // [N, M]
        return subjectsOf.Select((s, i) => s.Length == 0 ? double.NaN : s.Average(j => cos[i, j])).ToArray();
    }

    /// <summary>cos(a[i], b[i]) for each row.</summary>
    public static double[] PairCosine(Tensor a, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        var c = (nn.functional.normalize(a, dim: 1) * nn.functional.normalize(b, dim: 1)).sum(1).to_type(ScalarType.Float64);
        return c.data<double>().ToArray();
    }

    /// <summary>For each image: the share of its labels whose probability exceeds <paramref name="threshold"/>; NaN without labels.</summary>
    public static double[] RecognisedShare(Tensor probabilities, IReadOnlyList<int[]> labelsOf, double threshold)
    {
        using var scope = torch.NewDisposeScope();
        var p = probabilities.to_type(ScalarType.Float64);
        var (n, l) = ((int)p.shape[0], (int)p.shape[1]);
        var values = p.data<double>().ToArray();
        return labelsOf.Select((labels, i) => labels.Length == 0 ? double.NaN : labels.Average(j => values[i * l + j] > threshold ? 1.0 : 0.0)).ToArray();
    }

    private static double[,] Cosines(Tensor a, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        var m = nn.functional.normalize(a, dim: 1).matmul(nn.functional.normalize(b, dim: 1).T).to_type(ScalarType.Float64);
        var (rows, cols) = ((int)m.shape[0], (int)m.shape[1]);
        var flat = m.data<double>().ToArray();
        var result = new double[rows, cols];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++) result[i, j] = flat[i * cols + j];
        return result;
    }
}
