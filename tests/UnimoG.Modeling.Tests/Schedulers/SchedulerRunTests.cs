using UnimoG.Modeling.Schedulers;
using UnimoG.TestSupport;
using static TorchSharp.torch;
using static UnimoG.Modeling.Tests.Schedulers.SchedulerTestConfigs;

namespace UnimoG.Modeling.Tests.Schedulers;

/// <summary>
/// Runs of the sigma-based schedulers: their forward process agrees with the closed form, and their state is per
/// run, so rows batched together and runs stepped in turn give what each gives alone, to the byte.
/// </summary>
public class SchedulerRunTests
{
    [Theory]
    [InlineData("dpmpp_2m")]
    [InlineData("dpmpp_2m_sde")]
    [InlineData("unipc")]
    public void Multistep_add_noise_is_the_ddim_forward_process_at_the_runs_timesteps(string sampler)
    {
        // alpha_t = 1 / sqrt(sigma^2 + 1) and sigma_t = sigma alpha_t at sigma = sqrt((1 - a_t) / a_t) are sqrt(a_t) and
        // sqrt(1 - a_t): diffusers' add_noise at timesteps[i] is DDIM's q(x_t | x_0) at that integer t.
        var ddim = new DdimScheduler(Mini());
        var g = new Generator(5);
        using var x0 = randn([2, 4, 8, 8], generator: g);
        using var noise = randn([2, 4, 8, 8], generator: g);
        using var run = MiniCatalog()[sampler].Start(new SamplingSettings(10), Seeded(1));
        for (var i = 0; i < run.Count; i++)
        {
            using var t = full(2, (long)run.Timesteps[i], dtype: ScalarType.Int64);
            using var expected = ddim.AddNoise(x0, noise, t);
            using var actual = run.AddNoise(x0, noise, i);
            TensorAssert.Close(expected, actual, rtol: 1e-5, atol: 2e-6, what: $"{sampler} step {i} (t = {run.Timesteps[i]})");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => run.AddNoise(x0, noise, run.Count));
        using var wrong = randn([1, 4, 8, 8]);
        Assert.Throws<ArgumentException>(() => run.AddNoise(x0, wrong, 0));
    }

    [Theory]
    [InlineData("euler")]
    [InlineData("euler_a")]
    public void Euler_add_noise_is_x0_plus_sigma_noise(string sampler)
    {
        // The Euler schedulers' sample is x_0 + sigma_i eps (not scaled): at linspace's integer timesteps (999, 888, ..)
        // sigma_i = sqrt((1 - a_t) / a_t), here in float64 from DDIM's alphas_cumprod.
        var ddim = new DdimScheduler(Mini());
        INoiseScheduler s = sampler == "euler" ? new EulerScheduler(Parse<EulerConfig>(Sd())) : new EulerAncestralScheduler(Parse<EulerAncestralConfig>(Sd()));
        var g = new Generator(6);
        using var x0 = randn([2, 3, 5], generator: g, dtype: ScalarType.Float64);
        using var noise = randn([2, 3, 5], generator: g, dtype: ScalarType.Float64);
        using var run = s.Start(new SamplingSettings(10), Seeded(2));
        for (var i = 0; i < run.Count; i++)
        {
            double a = ddim.AlphasCumprod[(int)run.Timesteps[i]];
            using var expected = x0 + noise * Math.Sqrt((1 - a) / a);
            using var actual = run.AddNoise(x0, noise, i);
            TensorAssert.Close(expected, actual, rtol: 2e-6, atol: 1e-7, what: $"{sampler} step {i}");
        }
    }

    [Theory]
    [InlineData("dpmpp_2m")]
    [InlineData("dpmpp_2m_karras")]
    [InlineData("unipc")]
    [InlineData("euler")]
    public void Rows_stepped_together_equal_each_row_stepped_alone(string sampler)
    {
        // One run over a [2, ...] batch against a run per row, every step to the end (lower-order final steps
        // included): the multistep history is each run's own, and every coefficient is applied element-wise.
        var s = MiniCatalog()[sampler];
        var g = new Generator(21);
        using var both = s.Start(new SamplingSettings(8));
        using var first = s.Start(new SamplingSettings(8));
        using var second = s.Start(new SamplingSettings(8));
        var x = randn([2, 4, 8, 8], generator: g) * both.InitNoiseSigma;
        var x0 = x.narrow(0, 0, 1).clone();
        var x1 = x.narrow(0, 1, 1).clone();
        while (!both.Finished)
        {
            using var mo = randn([2, 4, 8, 8], generator: g);
            using var together = both.Step(mo, x);
            using var alone0 = first.Step(mo.narrow(0, 0, 1), x0);
            using var alone1 = second.Step(mo.narrow(0, 1, 1), x1);
            var at = $"step {both.StepIndex - 1}";
            TensorAssert.Identical(alone0.PrevSample, together.PrevSample.narrow(0, 0, 1), $"row 0 prev_sample at {at}");
            TensorAssert.Identical(alone1.PrevSample, together.PrevSample.narrow(0, 1, 1), $"row 1 prev_sample at {at}");
            TensorAssert.Identical(alone0.PredOriginalSample, together.PredOriginalSample.narrow(0, 0, 1), $"row 0 x_0 at {at}");
            TensorAssert.Identical(alone1.PredOriginalSample, together.PredOriginalSample.narrow(0, 1, 1), $"row 1 x_0 at {at}");
            foreach (var old in new[] { x, x0, x1 }) old.Dispose();
            (x, x0, x1) = (together.PrevSample.clone(), alone0.PrevSample.clone(), alone1.PrevSample.clone());
        }
        Assert.True(first.Finished && second.Finished);
        foreach (var old in new[] { x, x0, x1 }) old.Dispose();
    }

    [Theory]
    [InlineData("dpmpp_2m")]
    [InlineData("dpmpp_2m_sde_karras")]
    [InlineData("unipc")]
    [InlineData("euler_a")]
    public void Runs_of_one_scheduler_stepped_in_turn_do_not_disturb_each_other(string sampler)
    {
        // A 10-step and a 7-step request of the same sampler, stepped alternately, end where each ends alone: the
        // scheduler is shared, the timesteps, history and noise stream are the run's.
        var s = MiniCatalog()[sampler];
        using var startA = randn([1, 4, 8, 8], generator: new Generator(31));
        using var startB = randn([1, 4, 8, 8], generator: new Generator(32));
        Tensor Alone(int steps, Tensor start, ulong seed)
        {
            using var run = s.Start(new SamplingSettings(steps), Seeded(seed));
            return RunToEnd(run, start, new Generator(seed + 100));
        }
        using var aloneA = Alone(10, startA, 1);
        using var aloneB = Alone(7, startB, 2);

        using var runA = s.Start(new SamplingSettings(10), Seeded(1));
        using var runB = s.Start(new SamplingSettings(7), Seeded(2));
        var (outputsA, outputsB) = (new Generator(101), new Generator(102));
        var (a, b) = (startA.clone(), startB.clone());
        while (!runA.Finished || !runB.Finished)
        {
            if (!runA.Finished) a = StepOnce(runA, a, outputsA);
            if (!runB.Finished) b = StepOnce(runB, b, outputsB);
        }
        TensorAssert.Identical(aloneA, a, "the 10-step run");
        TensorAssert.Identical(aloneB, b, "the 7-step run");
        TensorAssert.NotClose(aloneA, aloneB, rtol: 1e-3, atol: 1e-3, what: "two different requests");
        a.Dispose();
        b.Dispose();
    }

    private static Tensor StepOnce(SchedulerRun run, Tensor x, Generator outputs)
    {
        using var mo = randn(x.shape, generator: outputs);
        using var step = run.Step(mo, x);
        x.Dispose();
        return step.PrevSample.clone();
    }

    [Fact]
    public void A_finished_run_refuses_another_step()
    {
        using var run = MiniCatalog()["dpmpp_2m"].Start(new SamplingSettings(2));
        using var x = randn([1, 4, 4, 4]);
        using var end = RunToEnd(run, x, new Generator(1));
        Assert.True(run.Finished);
        Assert.Contains("all its 2 steps", Assert.Throws<InvalidOperationException>(() => run.Step(x, x)).Message);
        using var wide = randn([1, 4, 4, 5]);
        using var fresh = MiniCatalog()["unipc"].Start(new SamplingSettings(2));
        Assert.Contains("differs from sample shape", Assert.Throws<ArgumentException>(() => fresh.Step(wide, x)).Message);
    }
}
