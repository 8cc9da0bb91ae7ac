using static TorchSharp.torch;

namespace UnimoG.TestSupport;

/// <summary>A tensor comparison failed; the message names the tensor and its worst element.</summary>
public sealed class TensorMismatchException(string message) : Exception(message);

/// <summary>Tensor comparisons for numerics tests (compare against reference values, never our own output).</summary>
public static class TensorAssert
{
    /// <summary>
    /// Same shape, and |actual - expected| &lt;= atol + rtol * |expected| everywhere (numpy's allclose), with
    /// NaN exactly where the reference has NaN and infinities equal. Returns the largest absolute error.
    /// </summary>
    public static double Close(Tensor expected, Tensor actual, double rtol = 1e-5, double atol = 1e-4, string what = "tensor")
    {
        if (!expected.shape.SequenceEqual(actual.shape))
            throw new TensorMismatchException($"{what}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
        using var scope = NewDisposeScope();
        var e = expected.to_type(ScalarType.Float64).cpu().flatten().data<double>().ToArray();
        var a = actual.to_type(ScalarType.Float64).cpu().flatten().data<double>().ToArray();
        var worst = -1;
        var worstExcess = 0.0;
        var maxAbs = 0.0;
        for (var i = 0; i < e.Length; i++)
        {
            if (double.IsNaN(e[i]) || double.IsNaN(a[i]) || double.IsInfinity(e[i]) || double.IsInfinity(a[i]))
            {
                if (!(double.IsNaN(e[i]) && double.IsNaN(a[i])) && e[i] != a[i]) { worst = i; worstExcess = double.PositiveInfinity; }
                continue;
            }
            var diff = Math.Abs(a[i] - e[i]);
            maxAbs = Math.Max(maxAbs, diff);
            var excess = diff - (atol + rtol * Math.Abs(e[i]));
            if (excess > worstExcess) { worst = i; worstExcess = excess; }
        }
        if (worst >= 0)
            throw new TensorMismatchException(
                $"{what}: element {worst} is {a[worst]:R}, expected {e[worst]:R} (rtol {rtol}, atol {atol}); largest absolute error {maxAbs:G3}");
        return maxAbs;
    }

    /// <summary>Bit-for-bit equal (NaNs equal to NaNs).</summary>
    public static void Identical(Tensor expected, Tensor actual, string what = "tensor") => Close(expected, actual, 0, 0, what);
}
