using UnimoG.Modeling.Sampling;
using UnimoG.Modeling.Schedulers;
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
    public void Combine_is_uncond_plus_scale_times_difference_in_float32()
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

    private static readonly DdimScheduler Ddim = DdimScheduler.Load(RepoPaths.Fixtures("diffusers-a", "ddim"));

    [Fact]
    public void One_batch_equals_separate_calls_even_with_conditions_of_different_lengths()
    {
        var g = new Generator(2);
        using var x = randn([2, 4, 8, 8], generator: g);
        // Two requests at different steps of their runs: the negative prompt is 3 tokens, the prompt 5 (row 1 padded).
        using var early = Ddim.Start(new(10));
        using var late = Ddim.Start(new(10));
        late.Step(x.narrow(0, 1, 1), x.narrow(0, 1, 1)).Dispose();
        using var negative = new Conditioning(randn([2, 3, 16], generator: g));
        using var cond = new Conditioning(randn([2, 5, 16], generator: g), tensor(new float[,] { { 1, 1, 1, 1, 1 }, { 1, 1, 1, 0, 0 } }));
        var calls = new List<long>();
        DiffusionModel model = (xs, ts, c) => { calls.Add(xs.shape[0]); return ToyDenoiser(xs, ts, c); };
        using var c0 = new Conditioning(cond.HiddenStates.narrow(0, 0, 1), cond.AttentionMask!.narrow(0, 0, 1));
        using var c1 = new Conditioning(cond.HiddenStates.narrow(0, 1, 1), cond.AttentionMask!.narrow(0, 1, 1));
        using var n0 = new Conditioning(negative.HiddenStates.narrow(0, 0, 1));
        using var n1 = new Conditioning(negative.HiddenStates.narrow(0, 1, 1));
        var batched = GuidedStep.Predict(model,
            [new GuidedRows(early, x.narrow(0, 0, 1), c0, n0, 5.0), new GuidedRows(late, x.narrow(0, 1, 1), c1, n1, 2.0)]);
        Assert.Equal([4L], calls);                                  // one call, [uncond; cond] rows of both requests
        Assert.Equal(0, early.StepIndex);                           // predicting does not step

        for (var i = 0; i < 2; i++)
        {
            using var t = tensor(new[] { (float)(i == 0 ? early : late).Timestep });
            using var xi = x.narrow(0, i, 1);
            using var expected = Guidance.Combine(ToyDenoiser(xi, t, i == 0 ? n0 : n1), ToyDenoiser(xi, t, i == 0 ? c0 : c1), i == 0 ? 5.0 : 2.0);
            TensorAssert.Close(expected, batched[i], rtol: 1e-6, atol: 1e-6, what: $"guided request {i}");
            batched[i].Dispose();
        }
    }

    [Fact]
    public void Equal_lengths_give_the_same_bits_as_separate_calls()
    {
        var g = new Generator(3);
        using var x = randn([1, 4, 8, 8], generator: g);
        using var run = Ddim.Start(new(999));   // the most DDIM steps this schedule (steps_offset 1) gives
        using var uncond = new Conditioning(randn([1, 7, 8], generator: g));
        using var cond = new Conditioning(randn([1, 7, 8], generator: g));
        using var batched = GuidedStep.Predict(ToyDenoiser, [new GuidedRows(run, x, cond, uncond, 5.0)])[0];
        using var t = tensor(new[] { (float)run.Timestep });
        using var expected = Guidance.Combine(ToyDenoiser(x, t, uncond), ToyDenoiser(x, t, cond), 5.0);
        TensorAssert.Identical(expected, batched, "guided batch");
    }

    [Fact]
    public void A_one_row_unconditional_condition_serves_the_whole_batch()
    {
        var g = new Generator(4);
        using var x = randn([3, 4, 8, 8], generator: g);
        using var uncond = new Conditioning(randn([1, 4, 8], generator: g));
        using var cond = new Conditioning(randn([3, 4, 8], generator: g));
        using var three = uncond.RepeatRows(3);
        var options = new DdimSamplingOptions(Steps: 3, GuidanceScale: 5.0);
        using var shared = Samplers.Sample(ToyDenoiser, Ddim, x, cond, uncond, options);
        using var repeated = Samplers.Sample(ToyDenoiser, Ddim, x, cond, three, options);
        TensorAssert.Identical(repeated, shared, "one shared unconditional row");
    }
}
