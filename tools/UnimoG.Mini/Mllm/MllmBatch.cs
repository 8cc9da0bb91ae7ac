using TorchSharp;
using UnimoG.Mini.Data;
using static TorchSharp.torch;

namespace UnimoG.Mini.Mllm;

/// <summary>
/// A padded batch of <see cref="MllmSample"/>s. Row b is BOS, then its parts; visual-token positions hold id 0 in
/// <see cref="InputIds"/> and are overwritten by the image's tokens (<see cref="VisualPositions"/>, flat b * L + t, in
/// image order). <see cref="Labels"/> hold the token id where the loss reads it and -100 elsewhere (BOS, prompts,
/// visual tokens, padding); position t's logits predict label t + 1.
/// </summary>
public sealed record MllmBatch(Tensor InputIds, Tensor Labels, Tensor AttentionMask, Tensor VisualPositions, Tensor Pixels, int ImageCount) : IDisposable
{
    public const long Ignore = -100;

    public static MllmBatch Collate(IReadOnlyList<MllmSample> samples, int tokensPerImage, int bosId)
    {
        var rows = samples.Select(s => Layout(s, tokensPerImage, bosId)).ToList();
        var length = rows.Max(r => r.Ids.Count);
        var b = samples.Count;
        var ids = new long[b * length];
        var labels = new long[b * length];
        var mask = new long[b * length];
        Array.Fill(labels, Ignore);
        var visual = new List<long>();
        for (var i = 0; i < b; i++)
        {
            var r = rows[i];
            for (var t = 0; t < r.Ids.Count; t++)
            {
                ids[i * length + t] = r.Ids[t];
                labels[i * length + t] = r.Labels[t];
                mask[i * length + t] = 1;
            }
            visual.AddRange(r.Visual.Select(t => (long)(i * length + t)));
        }
        var images = samples.SelectMany(s => s.Images).ToList();
        var pixels = images.Count == 0 ? torch.zeros(0, 3, Images.N, Images.N) : Images.ClipPixels(Images.ToUint8(images));
        return new MllmBatch(torch.tensor(ids).view(b, length), torch.tensor(labels).view(b, length), torch.tensor(mask).view(b, length),
            torch.tensor(visual.ToArray(), ScalarType.Int64), pixels, images.Count);
    }

    /// <summary>One row: ids (0 at visual positions), labels (-100 where unsupervised) and the visual positions in image order.</summary>
    public static (List<long> Ids, List<long> Labels, List<int> Visual) Layout(MllmSample sample, int tokensPerImage, int bosId)
    {
        var ids = new List<long> { bosId };
        var labels = new List<long> { Ignore };
        var visual = new List<int>();
        var starts = new Dictionary<int, int>();
        foreach (var part in sample.Parts)
        {
            switch (part)
            {
                case TextPart t:
                    ids.AddRange(t.Ids.Select(i => (long)i));
                    labels.AddRange(t.Ids.Select(i => t.Supervised ? i : Ignore));
                    break;
                case ImagePart im:
                    starts[im.Image] = ids.Count;
                    ids.AddRange(Enumerable.Repeat(0L, tokensPerImage));
                    labels.AddRange(Enumerable.Repeat(Ignore, tokensPerImage));
                    break;
                default:
                    throw new ArgumentException($"unknown part {part.GetType().Name}");
            }
        }
        if (starts.Count != sample.Images.Count) throw new ArgumentException($"{sample.Task} sample: {starts.Count} image parts for {sample.Images.Count} images");
        for (var k = 0; k < sample.Images.Count; k++)
            visual.AddRange(Enumerable.Range(starts[k], tokensPerImage));
        return (ids, labels, visual);
    }

    /// <summary>Next-token cross-entropy over the supervised positions: logits [B, L, V] at t against labels at t + 1.</summary>
    public static Tensor Loss(Tensor logits, Tensor labels)
    {
        using var scope = torch.NewDisposeScope();
        var v = logits.shape[2];
        var predicted = logits[.., ..^1].reshape(-1, v);
        var target = labels[.., 1..].reshape(-1);
        return nn.functional.cross_entropy(predicted, target, ignore_index: Ignore).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        InputIds.Dispose();
        Labels.Dispose();
        AttentionMask.Dispose();
        VisualPositions.Dispose();
        Pixels.Dispose();
    }
}
