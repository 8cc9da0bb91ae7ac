using UnimoG.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Diffusion;

/// <summary>Comparisons of our tensors with reference tensors read from safetensors fixtures.</summary>
internal static class TensorAssert
{
    public static double MaxAbs(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var d = (actual.to_type(ScalarType.Float64) - expected.to_type(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }

    /// <summary>Asserts |actual - expected| &lt;= atol everywhere; returns the largest difference for reporting.</summary>
    public static double Close(Tensor actual, Tensor expected, double atol, string what)
    {
        var err = MaxAbs(actual, expected);
        Assert.True(err <= atol, $"{what}: max abs error {err:E3} > {atol:E1}");
        return err;
    }

    public static Tensor Read(this SafetensorsFile file, string name) => file.Read(name, null);
}
