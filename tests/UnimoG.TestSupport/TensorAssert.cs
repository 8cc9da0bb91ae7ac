using static TorchSharp.torch;

namespace UnimoG.TestSupport;

/// <summary>A tensor comparison failed; the message names the tensor and its worst element.</summary>
public sealed class TensorMismatchException(string message) : Exception(message);

/// <summary>
/// The one closeness check of the test projects, for tensors and float arrays (compare against reference values,
/// never our own output): torch.allclose's |actual - expected| &lt;= atol + rtol * |expected| everywhere, with NaN
/// exactly where the reference has NaN and infinities equal; a failure names the worst element and its index.
/// </summary>
public static class TensorAssert
{
    /// <summary>Same shape and close everywhere (see the class). Returns the largest absolute error.</summary>
    public static double Close(Tensor expected, Tensor actual, double rtol = 1e-5, double atol = 1e-4, string what = "tensor")
    {
        SameShape(expected, actual, what);
        return CloseValues(Values(expected), Values(actual), rtol, atol, what);
    }

    /// <summary>Same length and close everywhere (see the class). Returns the largest absolute error.</summary>
    public static double Close(float[] expected, float[] actual, double rtol = 1e-5, double atol = 1e-4, string what = "array") =>
        Close(Array.ConvertAll(expected, x => (double)x), Array.ConvertAll(actual, x => (double)x), rtol, atol, what);

    /// <summary>Same length and close everywhere (see the class). Returns the largest absolute error.</summary>
    public static double Close(double[] expected, double[] actual, double rtol = 1e-5, double atol = 1e-4, string what = "array")
    {
        if (expected.Length != actual.Length)
            throw new TensorMismatchException($"{what}: {actual.Length} elements, expected {expected.Length}");
        return CloseValues(expected, actual, rtol, atol, what);
    }

    /// <summary>The same names, and each tensor close to its reference. Returns the largest absolute error of all.</summary>
    public static double Close(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual, double rtol = 1e-5, double atol = 1e-4)
    {
        var missing = expected.Keys.Except(actual.Keys).Order().ToList();
        var unexpected = actual.Keys.Except(expected.Keys).Order().ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new TensorMismatchException($"tensor names differ: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]");
        return expected.Select(kv => Close(kv.Value, actual[kv.Key], rtol, atol, kv.Key)).DefaultIfEmpty(0).Max();
    }

    /// <summary>Bit-for-bit equal (NaNs equal to NaNs).</summary>
    public static void Identical(Tensor expected, Tensor actual, string what = "tensor") => Close(expected, actual, 0, 0, what);

    /// <summary>
    /// Same shape, and at least one element outside the tolerance (the negation of <see cref="Close(Tensor, Tensor, double, double, string)"/>):
    /// for "another seed gives other noise". Returns the largest absolute difference.
    /// </summary>
    public static double NotClose(Tensor expected, Tensor actual, double rtol, double atol, string what = "tensor")
    {
        SameShape(expected, actual, what);
        var (e, a) = (Values(expected), Values(actual));
        var (worst, _, maxAbs) = Worst(e, a, rtol, atol);
        if (worst < 0)
            throw new TensorMismatchException($"{what}: every element is within rtol {rtol}, atol {atol} of the other tensor (largest absolute difference {maxAbs:G3}); expected them to differ");
        return maxAbs;
    }

    private static void SameShape(Tensor expected, Tensor actual, string what)
    {
        if (!expected.shape.SequenceEqual(actual.shape))
            throw new TensorMismatchException($"{what}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
    }

    private static double[] Values(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.to_type(ScalarType.Float64).cpu().flatten().data<double>().ToArray();
    }

    private static double CloseValues(double[] e, double[] a, double rtol, double atol, string what)
    {
        var (worst, _, maxAbs) = Worst(e, a, rtol, atol);
        if (worst >= 0)
            throw new TensorMismatchException(
                $"{what}: element {worst} is {a[worst]:R}, expected {e[worst]:R} (rtol {rtol}, atol {atol}); largest absolute error {maxAbs:G3}");
        return maxAbs;
    }

    /// <summary>The index of the element furthest outside the tolerance (-1 if none is), its excess, and the largest |a - e|.</summary>
    private static (int Index, double Excess, double MaxAbs) Worst(double[] e, double[] a, double rtol, double atol)
    {
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
        return (worst, worstExcess, maxAbs);
    }
}
