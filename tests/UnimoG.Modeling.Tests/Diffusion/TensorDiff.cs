using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Diffusion;

internal static class TensorDiff
{
    /// <summary>The largest |a - b| (shapes must agree).</summary>
    public static double MaxAbs(Tensor a, Tensor b)
    {
        Assert.Equal(b.shape, a.shape);
        using var d = (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }
}
