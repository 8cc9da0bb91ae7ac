using UnimoG.Modeling.Schedulers;
using UnimoG.TestSupport;
using static UnimoG.Modeling.Tests.Schedulers.SchedulerTestConfigs;

namespace UnimoG.Modeling.Tests.Schedulers;

/// <summary>
/// The timesteps and sigmas of the sigma-based schedulers' set_timesteps, against diffusers v0.31.0's numpy formulas
/// worked out independently (T = 1000): the multistep solvers space n + 1 points and drop the last, Euler spaces n.
/// </summary>
public class SigmaScheduleTests
{
    private static double[] Multistep(string scheduler, string spacing, int n)
    {
        var json = Sd($"\"timestep_spacing\": \"{spacing}\", \"steps_offset\": {(spacing == "leading" ? 1 : 0)}");
        INoiseScheduler s = scheduler == "dpm" ? new DpmSolverScheduler(Parse<DpmSolverConfig>(json)) : new UniPcScheduler(Parse<UniPcConfig>(json));
        using var run = s.Start(new SamplingSettings(n));
        return [.. run.Timesteps];
    }

    [Theory]
    // np.linspace(0, 999, n + 1).round()[::-1][:-1]: 999 k / n, half to even (499.5 -> 500)
    [InlineData("linspace", 10, new double[] { 999, 899, 799, 699, 599, 500, 400, 300, 200, 100 })]
    [InlineData("linspace", 7, new double[] { 999, 856, 714, 571, 428, 285, 143 })]
    // (np.arange(n + 1) * (1000 // (n + 1)))[::-1][:-1] + steps_offset 1: ratios 90 and 125
    [InlineData("leading", 10, new double[] { 901, 811, 721, 631, 541, 451, 361, 271, 181, 91 })]
    [InlineData("leading", 7, new double[] { 876, 751, 626, 501, 376, 251, 126 })]
    // np.arange(1000, 0, -1000 / n).round() - 1: 1000 - 142.857 k rounds to 857, 714, 571, 429, 286, 143
    [InlineData("trailing", 10, new double[] { 999, 899, 799, 699, 599, 499, 399, 299, 199, 99 })]
    [InlineData("trailing", 7, new double[] { 999, 856, 713, 570, 428, 285, 142 })]
    public void Multistep_timesteps_follow_diffusers_spacing(string spacing, int n, double[] expected)
    {
        Assert.Equal(expected, Multistep("dpm", spacing, n));
        Assert.Equal(expected, Multistep("unipc", spacing, n));
    }

    [Theory]
    // np.linspace(0, 999, n, dtype=float32)[::-1]: 111 k and 166.5 k, exact in float32
    [InlineData("linspace", 10, new double[] { 999, 888, 777, 666, 555, 444, 333, 222, 111, 0 })]
    [InlineData("linspace", 7, new double[] { 999, 832.5, 666, 499.5, 333, 166.5, 0 })]
    // (np.arange(n) * (1000 // n))[::-1] + steps_offset 1: ratios 100 and 142
    [InlineData("leading", 10, new double[] { 901, 801, 701, 601, 501, 401, 301, 201, 101, 1 })]
    [InlineData("leading", 7, new double[] { 853, 711, 569, 427, 285, 143, 1 })]
    [InlineData("trailing", 10, new double[] { 999, 899, 799, 699, 599, 499, 399, 299, 199, 99 })]
    [InlineData("trailing", 7, new double[] { 999, 856, 713, 570, 428, 285, 142 })]
    public void Euler_timesteps_follow_diffusers_spacing(string spacing, int n, double[] expected)
    {
        var json = Sd($"\"timestep_spacing\": \"{spacing}\", \"steps_offset\": {(spacing == "leading" ? 1 : 0)}");
        using var euler = new EulerScheduler(Parse<EulerConfig>(json)).Start(new SamplingSettings(n));
        using var ancestral = new EulerAncestralScheduler(Parse<EulerAncestralConfig>(json)).Start(new SamplingSettings(n), Seeded(1));
        Assert.Equal(expected, euler.Timesteps);
        Assert.Equal(expected, ancestral.Timesteps);
        Assert.Equal(n + 1, euler.Sigmas!.Count);
        Assert.Equal(0.0, euler.Sigmas[^1]);
    }

    [Fact]
    public void Euler_sigmas_interpolate_the_training_sigmas_and_init_noise_sigma_follows_spacing()
    {
        // sigma_t = sqrt((1 - a_t) / a_t); np.interp at t = 832.5 is the mean of sigma_832 and sigma_833. init_noise_sigma
        // is max sigma for linspace/trailing and sqrt(max^2 + 1) for leading.
        var ddim = new DdimScheduler(Mini());
        double Sigma(int t) => Math.Sqrt((1 - (double)ddim.AlphasCumprod[t]) / ddim.AlphasCumprod[t]);
        using var run = new EulerScheduler(Parse<EulerConfig>(Sd())).Start(new SamplingSettings(7));
        double[] expected = [Sigma(999), (Sigma(832) + Sigma(833)) / 2, Sigma(666), (Sigma(499) + Sigma(500)) / 2, Sigma(333), (Sigma(166) + Sigma(167)) / 2, Sigma(0), 0];
        TensorAssert.Close(expected, [.. run.Sigmas!], rtol: 2e-6, atol: 1e-7, what: "sigmas");
        Assert.Equal(run.Sigmas![0], run.InitNoiseSigma);
        Assert.Equal(14.6146, run.InitNoiseSigma, 3e-4);   // float64 closed form: 14.614641 (float32 cumprod differs by ~1e-5)
        using var leading = new EulerScheduler(Parse<EulerConfig>(Sd("\"timestep_spacing\": \"leading\", \"steps_offset\": 1"))).Start(new SamplingSettings(10));
        Assert.Equal(Sigma(901), leading.Sigmas![0], 1e-5);
        Assert.Equal(Math.Sqrt(Sigma(901) * Sigma(901) + 1), leading.InitNoiseSigma, 1e-5);
    }

    [Theory]
    [InlineData("dpmpp_2m_karras")]
    [InlineData("dpmpp_2m_sde_karras")]
    [InlineData("unipc_karras")]
    public void Multistep_karras_sigmas_span_the_training_schedule(string sampler)
    {
        // _convert_to_karras over the flipped training sigmas: from sigma_max = sigma_999 to sigma_min = sigma_0, then
        // the final 0; rho = 7, so the midpoint (ramp 0.5, n = 9) is ((max^(1/7) + min^(1/7)) / 2)^7.
        var levels = new NoiseLevels(Mini());
        double max = levels.Sigmas[^1], min = levels.Sigmas[0];
        using var run = MiniCatalog()[sampler].Start(new SamplingSettings(9), Seeded(3));
        var sigmas = run.Sigmas!;
        Assert.Equal(10, sigmas.Count);
        Assert.Equal(max, sigmas[0], max * 1e-6);
        Assert.Equal(min, sigmas[8], min * 1e-6);
        Assert.Equal(0.0, sigmas[9]);
        Assert.Equal(14.614641, sigmas[0], 3e-4);      // the float64 closed form of the schedule's ends
        Assert.Equal(0.0291672, sigmas[8], 1e-6);
        var mid = Math.Pow((Math.Pow(max, 1 / 7.0) + Math.Pow(min, 1 / 7.0)) / 2, 7);
        Assert.Equal(mid, sigmas[4], mid * 1e-6);
        for (var i = 1; i < sigmas.Count; i++) Assert.True(sigmas[i] < sigmas[i - 1], $"sigma {i} = {sigmas[i]} is not below {sigmas[i - 1]}");
        // each timestep is the rounded _sigma_to_t of its sigma: 999 at sigma_max, 0 at sigma_min
        Assert.Equal(999, run.Timesteps[0]);
        Assert.Equal(0, run.Timesteps[^1]);
        for (var i = 1; i < run.Count; i++) Assert.True(run.Timesteps[i] <= run.Timesteps[i - 1]);
    }

    [Fact]
    public void Euler_karras_sigmas_span_the_interpolated_sigmas()
    {
        // Euler's _convert_to_karras takes its ends from the sigmas at the spaced timesteps: with linspace that is the
        // whole schedule (t = 999 .. 0); with leading + offset 1 and n = 10, sigma_901 .. sigma_1.
        var levels = new NoiseLevels(Mini());
        using var linspace = new EulerScheduler(Parse<EulerConfig>(Sd("\"use_karras_sigmas\": true"))).Start(new SamplingSettings(9));
        Assert.Equal(levels.Sigmas[^1], linspace.Sigmas![0], 1e-5);
        Assert.Equal(levels.Sigmas[0], linspace.Sigmas[8], 1e-7);
        var mid = Math.Pow((Math.Pow(levels.Sigmas[^1], 1 / 7.0) + Math.Pow(levels.Sigmas[0], 1 / 7.0)) / 2, 7);
        Assert.Equal(mid, linspace.Sigmas[4], mid * 1e-6);
        Assert.Equal(999, linspace.Timesteps[0], 1e-3);   // _sigma_to_t, fractional
        Assert.Equal(0, linspace.Timesteps[^1], 1e-3);
        using var leading = MiniCatalog()["euler_karras"].Start(new SamplingSettings(10));
        Assert.Equal(levels.Interp(901), leading.Sigmas![0], 1e-5);
        Assert.Equal(levels.Sigmas[1], leading.Sigmas[9], 1e-7);
        Assert.Equal(0.0, leading.Sigmas[10]);
        for (var i = 1; i < leading.Sigmas.Count; i++) Assert.True(leading.Sigmas[i] < leading.Sigmas[i - 1]);
    }
}
