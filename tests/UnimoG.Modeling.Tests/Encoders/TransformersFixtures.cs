using UnimoG.Modeling.Checkpoints;
using UnimoG.TestSupport;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Encoders;

/// <summary>Outputs of the real transformers v4.37.2 in tests/data/transformers (see its README).</summary>
internal static class TransformersFixtures
{
    public static string Dir(string name) => Path.Combine(RepoPaths.Root, "tests", "data", "transformers", name);
    public static string File(string model, string file) => Path.Combine(Dir(model), file);

    public static Dictionary<string, Tensor> Read(string model, string file)
    {
        var f = SafetensorsFile.Open(File(model, file));
        return f.Entries.Keys.ToDictionary(k => k, k => f.Read(k));
    }

    /// <summary>Same names, same shapes, max |a - b| within <paramref name="tolerance"/>; returns the largest error seen.</summary>
    public static double AssertClose(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        var worst = 0.0;
        foreach (var (name, e) in expected)
            worst = Math.Max(worst, AssertClose(e, actual[name], tolerance, name));
        return worst;
    }

    public static double AssertClose(Tensor expected, Tensor actual, double tolerance, string name)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{name}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
        var err = (expected.to_type(ScalarType.Float64) - actual.to_type(ScalarType.Float64)).abs().max().item<double>();
        Assert.True(err <= tolerance, $"{name}: max abs error {err:E3} > {tolerance:E1}");
        return err;
    }
}
