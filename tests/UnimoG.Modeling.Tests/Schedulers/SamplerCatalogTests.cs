using UnimoG.Data.Sampling;
using UnimoG.Modeling.Schedulers;
using UnimoG.TestSupport;
using static TorchSharp.torch;
using static UnimoG.Modeling.Tests.Schedulers.SchedulerTestConfigs;

namespace UnimoG.Modeling.Tests.Schedulers;

/// <summary>
/// Every served sampler built from the mini model's DDIM config (leading spacing, steps_offset 1): each runs, the
/// stochastic ones draw only from the request's noise source, and eta is DDIM's alone.
/// </summary>
public class SamplerCatalogTests
{
    public static TheoryData<string> Presets() => new(SamplerPresets.Names);

    [Theory]
    [MemberData(nameof(Presets))]
    public void Every_preset_runs_twenty_steps_to_finite_values(string sampler)
    {
        var preset = SamplerPresets.Find(sampler)!;
        var s = MiniCatalog()[sampler];
        Assert.Equal(preset.DiffusersClass, s.Name);
        using var run = s.Start(new SamplingSettings(20), Seeded(9));
        Assert.Equal(20, run.Count);
        Assert.True(run.InitNoiseSigma >= 1, $"init_noise_sigma {run.InitNoiseSigma}");
        var g = new Generator(10);
        using var noise = randn([2, 4, 8, 8], generator: g);
        var x = noise.mul(run.InitNoiseSigma);
        while (!run.Finished)
        {
            var input = run.ScaleModelInput(x);
            Assert.True(input.isfinite().all().item<bool>(), $"{sampler}: model input at step {run.StepIndex}");
            using var mo = randn([2, 4, 8, 8], generator: g);
            using var step = run.Step(mo, x);
            Assert.True(step.PrevSample.isfinite().all().item<bool>(), $"{sampler}: prev_sample at step {run.StepIndex - 1}");
            Assert.True(step.PredOriginalSample.isfinite().all().item<bool>(), $"{sampler}: x_0 at step {run.StepIndex - 1}");
            if (!ReferenceEquals(input, x)) input.Dispose();
            x.Dispose();
            x = step.PrevSample.clone();
        }
        // the timesteps go down, and the sigma samplers end on sigma 0
        for (var i = 1; i < run.Count; i++) Assert.True(run.Timesteps[i] <= run.Timesteps[i - 1], $"{sampler}: timestep {i}");
        if (run.Sigmas is { } sigmas) Assert.Equal((21, 0.0), (sigmas.Count, sigmas[^1]));
        x.Dispose();
    }

    [Theory]
    [InlineData("euler_a")]
    [InlineData("dpmpp_2m_sde")]
    [InlineData("dpmpp_2m_sde_karras")]
    public void Stochastic_samplers_refuse_to_start_without_a_noise_source(string sampler)
    {
        Assert.True(SamplerPresets.Find(sampler)!.Stochastic);
        var e = Assert.Throws<ArgumentException>(() => MiniCatalog()[sampler].Start(new SamplingSettings(20)));
        Assert.Contains("noise source", e.Message);
    }

    [Fact]
    public void Eta_is_refused_by_every_sampler_but_ddim()
    {
        var catalog = MiniCatalog();
        foreach (var name in SamplerPresets.Names.Where(n => n != "ddim"))
        {
            var e = Assert.Throws<ArgumentException>(() => catalog[name].Start(new SamplingSettings(20, Eta: 0.5), Seeded(1)));
            Assert.Contains("eta", e.Message);
        }
        using var ddim = catalog["ddim"].Start(new SamplingSettings(20, Eta: 0.5), Seeded(1));
        Assert.Equal(20, ddim.Count);
    }

    [Theory]
    [InlineData("euler_a")]
    [InlineData("dpmpp_2m_sde")]
    public void The_same_seed_gives_the_same_result_and_another_seed_another(string sampler)
    {
        var s = MiniCatalog()[sampler];
        using var start = randn([1, 4, 8, 8], generator: new Generator(40));
        Tensor Sample(ulong seed)
        {
            using var run = s.Start(new SamplingSettings(6), Seeded(seed));
            return RunToEnd(run, start, new Generator(41));
        }
        using var one = Sample(7);
        using var again = Sample(7);
        using var other = Sample(8);
        TensorAssert.Identical(one, again, $"{sampler} with seed 7 twice");
        TensorAssert.NotClose(one, other, rtol: 1e-3, atol: 1e-3, what: $"{sampler} with seeds 7 and 8");
    }

    [Fact]
    public void Deterministic_samplers_ignore_the_seed()
    {
        var s = MiniCatalog()["dpmpp_2m"];
        using var start = randn([1, 4, 8, 8], generator: new Generator(42));
        using var runA = s.Start(new SamplingSettings(6), Seeded(1));
        using var runB = s.Start(new SamplingSettings(6), Seeded(2));
        using var a = RunToEnd(runA, start, new Generator(43));
        using var b = RunToEnd(runB, start, new Generator(43));
        TensorAssert.Identical(a, b, "dpmpp_2m with two seeds");
    }

    [Fact]
    public void Unknown_sampler_names_fail_listing_the_names()
    {
        var catalog = MiniCatalog();
        var e = Assert.Throws<ArgumentException>(() => catalog["dpmpp_3m"]);
        Assert.Contains("'dpmpp_3m'", e.Message);
        foreach (var name in SamplerPresets.Names) Assert.Contains(name, e.Message);
        Assert.Throws<ArgumentException>(() => catalog["DDIM"]);   // names are case-sensitive
        Assert.Equal(SamplerPresets.Find(SamplerPresets.Default)!.DiffusersClass, catalog[""].Name);   // empty: the default
        Assert.Equal(SamplerPresets.Names, catalog.Names);
    }

    // Found by the studio's browser test: 1000 DDIM steps with leading spacing and steps_offset 1 reached timestep 1000
    // and failed inside the batch (Internal); now the run refuses to start, which the denoiser answers as "steps: ...".
    [Fact]
    public void A_ddim_schedule_past_the_last_training_timestep_is_refused_at_start()
    {
        var catalog = MiniCatalog();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => catalog["ddim"].Start(new SamplingSettings(1000)));
        Assert.Equal("1000 DDIM steps reach timestep 1000 with steps_offset 1, past the model's 1000 training timesteps; use fewer steps", e.Message);
        using var run = catalog["ddim"].Start(new SamplingSettings(999));
        Assert.Equal(999, run.Timesteps[0]);
    }
}
