using TorchSharp;

namespace UnimoG.Mini.Tests;

public class ContrastiveTests
{
    [Fact]
    public void InfoNCE_on_two_orthonormal_pairs_is_log_of_one_plus_e_to_minus_one_over_t()
    {
        // a = b = I (2x2): logits = I / t; each row's cross-entropy is -log(e^{1/t} / (e^{1/t} + 1)) = log(1 + e^{-1/t}).
        using var a = torch.eye(2);
        foreach (var t in new[] { 1.0, 0.5 })
        {
            using var loss = Contrastive.InfoNce(a, a, t);
            Assert.Equal(Math.Log(1 + Math.Exp(-1 / t)), loss.item<float>(), 5);
        }
    }

    [Fact]
    public void InfoNCE_normalises_rows_and_is_symmetric_in_its_arguments()
    {
        // a = [[2, 0], [1, 1]] normalises to [[1, 0], [s, s]] with s = 1/sqrt(2); b = I.
        // logits = a b^T = [[1, 0], [s, s]]; rows: CE0 = log(1 + e^-1), CE1 = log 2; columns: [[1, s], [0, s]]:
        // CE0 = log(1 + e^{s - 1}), CE1 = log(1 + e^{-s}). Loss = mean of the two directions.
        using var a = torch.tensor(new float[] { 2, 0, 1, 1 }).view(2, 2);
        using var b = torch.eye(2);
        var s = 1 / Math.Sqrt(2);
        var rows = (Math.Log(1 + Math.Exp(-1)) + Math.Log(2)) / 2;
        var cols = (Math.Log(1 + Math.Exp(s - 1)) + Math.Log(1 + Math.Exp(-s))) / 2;
        using var loss = Contrastive.InfoNce(a, b, 1.0);
        Assert.Equal((rows + cols) / 2, loss.item<float>(), 5);
    }

    [Fact]
    public void Same_group_pairs_are_not_negatives()
    {
        // Three rows, rows 0 and 1 of one group: row 0's logits over columns [0, 1, 2] keep 0 and 2 only.
        using var a = torch.eye(3);
        using var loss = Contrastive.InfoNce(a, a, 1.0, [7, 7, 9]);
        // Rows 0 and 1: log(1 + e^-1) (one negative left); row 2: log(1 + 2 e^-1). Same by columns.
        var expected = (2 * Math.Log(1 + Math.Exp(-1)) + Math.Log(1 + 2 * Math.Exp(-1))) / 3;
        Assert.Equal(expected, loss.item<float>(), 5);
    }

    [Fact]
    public void NtXent_of_two_images_with_identical_views()
    {
        // z = [e1, e2, e1, e2]; anchor 0's candidates (self excluded): e2 (0), e1 (1), e2 (0) -> CE = log(1 + 2 e^{-1/t}).
        using var v = torch.eye(2);
        using var loss = Contrastive.NtXent(v, v, 0.5);
        Assert.Equal(Math.Log(1 + 2 * Math.Exp(-2)), loss.item<float>(), 5);
    }
}
