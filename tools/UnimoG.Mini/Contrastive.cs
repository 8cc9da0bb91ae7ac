using TorchSharp;
using static TorchSharp.torch;

namespace UnimoG.Mini;

/// <summary>Contrastive objectives shared by the MLLM's alignment term and the evaluators (CLIP, SimCLR).</summary>
public static class Contrastive
{
    /// <summary>
    /// CLIP's symmetric InfoNCE: rows of <paramref name="a"/> and <paramref name="b"/> [N, D] are L2-normalised, logits
    /// a·bᵀ / temperature, cross-entropy towards the diagonal in both directions, averaged. With <paramref name="groups"/>,
    /// pairs (i, j ≠ i) of the same group are not counted as negatives (two images of one entity in a batch).
    /// <paramref name="normalize"/> false takes the rows as they are (already normalised and scaled).
    /// </summary>
    public static Tensor InfoNce(Tensor a, Tensor b, double temperature, long[]? groups = null, bool normalize = true)
    {
        using var scope = torch.NewDisposeScope();
        var n = a.shape[0];
        if (normalize) (a, b) = (nn.functional.normalize(a, dim: 1), nn.functional.normalize(b, dim: 1));
        var logits = a.matmul(b.T) / temperature;                                                                  // [N, N]
        if (groups is not null)
        {
            var g = torch.tensor(groups);
            var same = g.unsqueeze(1).eq(g.unsqueeze(0)).logical_and(torch.eye(n, dtype: ScalarType.Bool).logical_not());
            logits = logits.masked_fill(same, float.NegativeInfinity);
        }
        var target = torch.arange(n, ScalarType.Int64);
        var loss = 0.5f * (nn.functional.cross_entropy(logits, target) + nn.functional.cross_entropy(logits.T, target));
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// SimCLR's NT-Xent over two views [N, D] each: every view's positive is the other view of its image, the other
    /// 2N - 2 views are negatives; logits are cosine / temperature; mean over all 2N anchors.
    /// </summary>
    public static Tensor NtXent(Tensor view1, Tensor view2, double temperature)
    {
        using var scope = torch.NewDisposeScope();
        var n = view1.shape[0];
        var z = nn.functional.normalize(torch.cat([view1, view2]), dim: 1);                       // [2N, D]
        var logits = (z.matmul(z.T) / temperature).masked_fill(torch.eye(2 * n, dtype: ScalarType.Bool), float.NegativeInfinity);
        var target = torch.cat([torch.arange(n, 2 * n, ScalarType.Int64), torch.arange(0, n, ScalarType.Int64)]);
        return nn.functional.cross_entropy(logits, target).MoveToOuterDisposeScope();
    }
}
