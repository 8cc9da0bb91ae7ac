using TorchSharp;
using UnimoG.Modeling.Sampling;
using UnimoG.TestSupport;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Sampling;

public class GuidanceTests
{
    /// <summary>
    /// A stand-in denoiser that depends on every input the way a U-Net does: non-linearly on the sample, on the
    /// timestep, and on the condition through a key-masked mean of its hidden states (padding must not count).
    /// </summary>
    internal static Tensor ToyDenoiser(Tensor x, Tensor t, Conditioning c)
    {
        var mask = c.AttentionMask ?? ones(c.BatchSize, c.Length);
        var pooled = (c.HiddenStates * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim: true);     // [B, D]
        var bias = pooled.mean([1]).reshape(-1, 1, 1, 1);                                            // [B, 1, 1, 1]
        var scale = (t.to_type(ScalarType.Float32) / 1000).reshape(-1, 1, 1, 1);
        return (x * (1 + scale)).tanh() + bias;
    }

    [Fact]
    public void CombineIsUncondPlusScaleTimesDifferenceInFloat32()
    {
        var g = new Generator(1);
        using var u = randn([2, 3, 4, 4], generator: g);
        using var c = randn([2, 3, 4, 4], generator: g);
        using var mine = Guidance.Combine(u, c, 7.5);
        var uf = u.data<float>().ToArray();
        var cf = c.data<float>().ToArray();
        var expected = uf.Zip(cf, (a, b) => a + 7.5f * (b - a)).ToArray();     // each operation rounded to float32
        TensorAssert.Identical(tensor(expected).reshape(2, 3, 4, 4), mine, "guided");
        using var perRow = Guidance.Combine(u, c, [7.5, 7.5]);
        TensorAssert.Identical(mine, perRow, "per-row scales");
    }

    [Fact]
    public void OneBatchEqualsSeparateCallsEvenWithConditionsOfDifferentLengths()
    {
        var g = new Generator(2);
        using var x = randn([2, 4, 8, 8], generator: g);
        using var t = tensor(new long[] { 981, 501 });
        // The negative prompt is 3 tokens, the prompt 5 (row 1 of the prompt also has its own padding).
        using var negative = new Conditioning(randn([2, 3, 16], generator: g));
        using var cond = new Conditioning(randn([2, 5, 16], generator: g), tensor(new float[,] { { 1, 1, 1, 1, 1 }, { 1, 1, 1, 0, 0 } }));
        var calls = new List<long>();
        Denoiser model = (xs, ts, c) => { calls.Add(xs.shape[0]); return ToyDenoiser(xs, ts, c); };

        using var batched = Guidance.Predict(model, x, t, cond, negative, [5.0, 2.0]);
        Assert.Equal([4L], calls);                                  // one call, [uncond; cond] rows

        using var eu = ToyDenoiser(x, t, negative);
        using var ec = ToyDenoiser(x, t, cond);
        using var expected = Guidance.Combine(eu, ec, [5.0, 2.0]);
        TensorAssert.Close(expected, batched, rtol: 1e-6, atol: 1e-6, what: "guided batch");
    }

    [Fact]
    public void EqualLengthsGiveTheSameBitsAsSeparateCalls()
    {
        var g = new Generator(3);
        using var x = randn([1, 4, 8, 8], generator: g);
        using var t = tensor(new long[] { 1 });
        using var uncond = new Conditioning(randn([1, 7, 8], generator: g));
        using var cond = new Conditioning(randn([1, 7, 8], generator: g));
        using var batched = Guidance.Predict(ToyDenoiser, x, t, cond, uncond, 5.0);
        using var expected = Guidance.Combine(ToyDenoiser(x, t, uncond), ToyDenoiser(x, t, cond), 5.0);
        TensorAssert.Identical(expected, batched, "guided batch");
    }

    [Fact]
    public void AOneRowUnconditionalConditionServesTheWholeBatch()
    {
        var g = new Generator(4);
        using var x = randn([3, 4, 8, 8], generator: g);
        using var t = full(3, 501L, dtype: ScalarType.Int64);
        using var uncond = new Conditioning(randn([1, 4, 8], generator: g));
        using var cond = new Conditioning(randn([3, 4, 8], generator: g));
        using var three = uncond.RepeatRows(3);
        using var shared = Guidance.Predict(ToyDenoiser, x, t, cond, uncond, 5.0);
        using var repeated = Guidance.Predict(ToyDenoiser, x, t, cond, three, 5.0);
        TensorAssert.Identical(repeated, shared, "one shared unconditional row");
    }
}
