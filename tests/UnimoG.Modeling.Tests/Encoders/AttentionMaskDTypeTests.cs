using TorchSharp;
using UnimoG.Modeling.Encoders;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Encoders;

/// <summary>
/// Additive masks in the compute dtype with its own finfo.min, as transformers builds them. float.MinValue is -inf
/// in bfloat16 and float16, and a query whose keys are all masked (left padding) then softmaxes to NaN, which the next
/// layer's values spread to every row (0 x NaN = NaN).
/// </summary>
public class AttentionMaskDTypeTests
{
    [Theory]
    [InlineData("float32")]
    [InlineData("bfloat16")]
    [InlineData("float16")]
    public void MasksUseTheDtypesMinimumAndAFullyMaskedRowStaysFinite(string name)
    {
        var dtype = ModelPlacement.DTypes[name];
        var min = finfo(dtype).min;
        using var causal = AttentionMasks.Causal(2, 3, 1, dtype, CPU);   // [2, 1, 3, 4], one past key
        Assert.Equal(dtype, causal.dtype);
        Assert.Equal([2L, 1, 3, 4], causal.shape);
        using var c = causal[0, 0].to_type(ScalarType.Float64);
        Assert.Equal(new[] { 0, 0, min, min, 0, 0, 0, min, 0, 0, 0, 0 }, c.data<double>().ToArray());

        using var keys = torch.tensor(new long[,] { { 0, 0, 0 }, { 1, 1, 0 } });
        using var padding = AttentionMasks.Padding(keys, 2, dtype);      // [2, 1, 2, 3]
        Assert.Equal(dtype, padding.dtype);
        using var p = padding.to_type(ScalarType.Float64);
        Assert.Equal(new[] { min, min, min, min, min, min, 0, 0, min, 0, 0, min }, p.data<double>().ToArray());

        // row 0 masks every key: with finfo.min the softmax is finite (uniform), with -inf it is NaN
        using var scores = torch.tensor(new[] { 0.5f, -1.25f, 2.0f }).to_type(dtype);
        using var masked = scores + padding[0, 0, 0];
        using var w = torch.softmax(masked, -1, ScalarType.Float32);
        Assert.True(torch.isfinite(w).all().item<bool>());
        Assert.Equal(1.0, w.sum().item<float>(), 5);
        using var infinite = scores + torch.full(3, double.NegativeInfinity, dtype, CPU);
        using var nan = torch.softmax(infinite, -1, ScalarType.Float32);
        Assert.True(nan.isnan().all().item<bool>());
    }

    [Theory]
    [InlineData("bfloat16")]
    [InlineData("float16")]
    public void FloatMinValueIsMinusInfinityInReducedPrecision(string name)
    {
        using var t = torch.tensor(new[] { float.MinValue }).to_type(ModelPlacement.DTypes[name]);
        Assert.True(t.isneginf().item<bool>());
    }
}
