using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Encoders;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static UnimoG.Modeling.Tests.Encoders.TransformersFixtures;

namespace UnimoG.Modeling.Tests.Encoders;

/// <summary>
/// How far a bfloat16 or float16 encoder may stray from transformers' float32 outputs (tests/data/transformers), depth
/// by depth. Shared by the <c>*PrecisionTests</c>; the bound was fixed before any reduced-precision result was seen.
/// <para>
/// Error model. u is the unit roundoff: 2^-8 for bfloat16, 2^-11 for float16. Every op of a forward rounds its result
/// to the compute dtype once (relative error &lt;= u per element): libtorch's CPU matmul accumulates bf16/fp16 products
/// in float and rounds once; LayerNorm, RMSNorm and softmax compute in float and round once (see the research notes);
/// weights are rounded once when loaded, the inputs once at the model's entry. Counting the roundings on the path
/// through one layer: a CLIP layer ~25 (LN, q/k/v with their rounded weights, scale, scores, two masks, softmax,
/// weights x values, out_proj, residual add; LN, fc1, three for quick_gelu, fc2, add), a LLaMA layer ~33 (rotary adds
/// 4 on each of q and k, SwiGLU 8), a Q-Former layer with cross-attention ~37 (two attention blocks of ~15 with their
/// post-LayerNorm, a 7-op FFN). Independent roundings add in quadrature, sqrt(37) ~ 6, and a factor 2 covers what
/// the softmax (a logit error d changes a weight by ~d times the weight) and the activations amplify: k = 12 per layer,
/// in the measure r = max|err| / max|ref| of one hidden state. The embedding or input (depth 0) counts as one layer.
/// </para>
/// <para>
/// So at depth l (hidden_states.l; an output after one more norm sits one deeper): r_l &lt;= k (l + 1) u, and error
/// may grow at most linearly with depth: every layer adds at most k u, r_l - r_(l-1) &lt;= k u (error amplified layer
/// after layer, a dtype bug's signature, shows as growing increments). For 3 bfloat16 layers the last bound is
/// 48 u = 0.19; float16 0.023.
/// </para>
/// </summary>
internal static class PrecisionBounds
{
    /// <summary>Roundoff budget per layer, in units of u (derivation above).</summary>
    public const double K = 12;

    public static double UnitRoundoff(ScalarType dtype) => dtype switch
    {
        ScalarType.BFloat16 => Math.Pow(2, -8),
        ScalarType.Float16 => Math.Pow(2, -11),
        _ => throw new ArgumentException($"no reduced-precision bound for {dtype}"),
    };

    public static ModelPlacement Cpu(string dtype) => new(CPU, ModelPlacement.DTypes[dtype]);

    /// <summary>r = max |actual - expected| / max |expected|, in float64 (NaN when actual has a NaN).</summary>
    public static double Relative(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var e = expected.to_type(ScalarType.Float64);
        using var a = actual.to_type(ScalarType.Float64);
        using var err = (a - e).abs().max();
        using var scale = e.abs().max();
        return err.item<double>() / scale.item<double>();
    }

    /// <summary>
    /// Runs <paramref name="kind"/> on a fixture case at <paramref name="dtype"/> through <see cref="ComponentRunner"/>
    /// (the path the float32 fixture tests take) and asserts the depth profile of its hidden states and the bound of
    /// each named output at its depth (<paramref name="outputDepths"/>: name -> depth, relative to the layer count L).
    /// </summary>
    /// <returns>r per depth (hidden_states.0..L), then each output's r.</returns>
    public static IReadOnlyList<double> Check(string kind, string model, string inputs, string outputs, string dtype,
        IReadOnlyDictionary<string, int> outputDepths, ITestOutputHelper log)
    {
        var at = Cpu(dtype);
        var u = UnitRoundoff(at.DType);
        var expected = Read(model, outputs);
        var actual = ComponentRunner.Run(kind, Dir(model), ComponentInputs.Open(File(model, inputs)), at);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        var layers = expected.Keys.Count(k => k.StartsWith("hidden_states.", StringComparison.Ordinal)) - 1;
        var r = Enumerable.Range(0, layers + 1).Select(l => Relative(expected[$"hidden_states.{l}"], actual[$"hidden_states.{l}"])).ToList();
        log.WriteLine($"{kind} {model}/{inputs} at {dtype}, u = {u:E2}, bound k (l + 1) u with k = {K}");
        AssertDepthProfile(r, u, log);
        var all = new List<double>(r);
        foreach (var (name, offset) in outputDepths)
        {
            var depth = layers + offset;
            var rOut = Relative(expected[name], actual[name]);
            log.WriteLine($"  {name,-18} depth {depth}: r = {rOut:E3} = {rOut / u,6:F2} u   (bound {K * (depth + 1)} u)");
            Assert.True(double.IsFinite(rOut), $"{name}: not finite");
            Assert.True(rOut <= K * (depth + 1) * u, $"{name}: r = {rOut:E3} > k (depth + 1) u = {K * (depth + 1) * u:E3}");
            all.Add(rOut);
        }
        return all;
    }

    /// <summary>r_l &lt;= k (l + 1) u at every depth, and r_l - r_(l-1) &lt;= k u (no faster than linear in depth).</summary>
    public static void AssertDepthProfile(IReadOnlyList<double> r, double u, ITestOutputHelper log)
    {
        for (var l = 0; l < r.Count; l++)
            log.WriteLine($"  hidden_states.{l,-5} depth {l}: r = {r[l]:E3} = {r[l] / u,6:F2} u   (bound {K * (l + 1)} u)");
        for (var l = 0; l < r.Count; l++)
        {
            Assert.True(double.IsFinite(r[l]), $"hidden_states.{l}: not finite (r = {r[l]})");
            Assert.True(r[l] <= K * (l + 1) * u, $"hidden_states.{l}: r = {r[l]:E3} > k (l + 1) u = {K * (l + 1) * u:E3}");
            if (l > 0)
                Assert.True(r[l] - r[l - 1] <= K * u, $"hidden_states.{l}: grew by {(r[l] - r[l - 1]) / u:F2} u in one layer (> k = {K})");
        }
    }
}
