using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Schedulers;
using UnimoG.TestSupport;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Schedulers;

/// <summary>
/// Ten scheduler configurations run through the real diffusers v0.31.0 DDIMScheduler (tests/data/ddim, see its
/// README): every beta schedule, spacing, prediction type, clipping, thresholding, zero-SNR rescaling and eta.
/// </summary>
public class DdimReferenceTests
{
    public static readonly string DataRoot = Path.Combine(RepoPaths.Root, "tests", "data", "ddim");
    public static readonly int[] StepCounts = [1, 2, 3, 7, 10, 50];

    public static TheoryData<string> Configs() => new(Directory.GetDirectories(DataRoot).Select(Path.GetFileName).Order()!);

    private static (DdimScheduler Scheduler, SafetensorsFile Reference) Load(string name) =>
        (DdimScheduler.Load(Path.Combine(DataRoot, name)), SafetensorsFile.Open(Path.Combine(DataRoot, name, "reference.safetensors")));

    [Fact]
    public void Covers_the_configuration_surface()
    {
        var configs = Directory.GetDirectories(DataRoot).Select(d => DdimSchedulerConfig.Load(d)).ToList();
        Assert.Equal(10, configs.Count);
        foreach (var schedule in new[] { "linear", "scaled_linear", "squaredcos_cap_v2" }) Assert.Contains(configs, c => c.BetaSchedule == schedule && c.TrainedBetas is null);
        foreach (var spacing in new[] { "leading", "trailing", "linspace" }) Assert.Contains(configs, c => c.TimestepSpacing == spacing);
        foreach (var prediction in new[] { "epsilon", "v_prediction", "sample" }) Assert.Contains(configs, c => c.PredictionType == prediction);
        Assert.Contains(configs, c => c.TrainedBetas is not null);
        Assert.Contains(configs, c => c.RescaleBetasZeroSnr);
        Assert.Contains(configs, c => c.Thresholding);
        Assert.Contains(configs, c => c.ClipSample && !c.Thresholding);
        Assert.Contains(configs, c => c.SetAlphaToOne);
        Assert.Contains(configs, c => c.StepsOffset > 1);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Noise_schedule_matches(string name)
    {
        var (s, r) = Load(name);
        TensorAssert.Close(r.Read("betas"), tensor(s.Betas.ToArray()), rtol: 0, atol: 1e-6, what: $"{name} betas");
        TensorAssert.Close(r.Read("alphas_cumprod"), tensor(s.AlphasCumprod.ToArray()), rtol: 0, atol: 1e-6, what: $"{name} alphas_cumprod");
        Assert.Equal(r.Read("final_alpha_cumprod").item<float>(), s.FinalAlphaCumprod);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Timesteps_match_for_every_step_count(string name)
    {
        var (s, r) = Load(name);
        foreach (var n in StepCounts.Where(n => r.Entries.ContainsKey($"n{n}.timesteps")))
            Assert.Equal(r.Read($"n{n}.timesteps").data<long>().ToArray(), s.TimestepsFor(n));
        // Every n in [1, T]: length, sum and sum of (i + 1) * t_i of numpy's schedule.
        var check = r.Read("timestep_checksums").data<long>().ToArray();
        for (var n = 1; n <= s.Config.NumTrainTimesteps; n++)
        {
            var ts = s.TimestepsFor(n);
            long[] mine = [ts.Length, ts.Sum(), ts.Select((t, i) => t * (i + 1)).Sum()];
            Assert.True(mine.SequenceEqual(check.Skip(3 * (n - 1)).Take(3)), $"{name}: timesteps for n = {n}: [{string.Join(", ", ts)}]");
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Rows_stepped_together_match_diffusers_steps_one_by_one(string name)
    {
        var (s, r) = Load(name);
        foreach (var n in StepCounts.Where(n => r.Entries.ContainsKey($"n{n}.timestep")))
        {
            var ts = r.Read($"n{n}.timestep").data<long>().ToArray();
            using var o = s.Step(r.Read($"n{n}.model_output"), r.Read($"n{n}.sample"), ts.Select(t => new DdimSegment(1, t, n)).ToArray());
            TensorAssert.Close(r.Read($"n{n}.prev_sample"), o.PrevSample, what: $"{name} n{n} prev_sample");
            TensorAssert.Close(r.Read($"n{n}.pred_original_sample"), o.PredOriginalSample, what: $"{name} n{n} pred_original_sample");
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Stateful_step_matches_row_by_row(string name)
    {
        // diffusers' own contract: SetTimesteps(n), then Step(model_output, t, sample) on one row at a time.
        var (s, r) = Load(name);
        s.SetTimesteps(7);
        var ts = r.Read("n7.timestep").data<long>().ToArray();
        var mo = r.Read("n7.model_output");
        var x = r.Read("n7.sample");
        var prev = ts.Select((t, i) => s.Step(mo[i..(i + 1)], t, x[i..(i + 1)]).PrevSample).ToList();
        TensorAssert.Close(r.Read("n7.prev_sample"), cat(prev, 0), what: $"{name} n7 prev_sample");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Eta_noise_matches(string name)
    {
        var (s, r) = Load(name);
        var ts = r.Read("n10.timestep").data<long>().ToArray();
        var mo = r.Read("n10.model_output");
        var x = r.Read("n10.sample");
        foreach (var eta in new[] { 0.5, 1.0 })
        {
            var key = $"n10.eta{eta:0.0}";
            var noise = r.Read(key + ".variance_noise");
            using var given = s.Step(mo, x, ts.Select((t, i) => new DdimSegment(1, t, 10, eta, VarianceNoise: noise[i..(i + 1)])).ToArray());
            TensorAssert.Close(r.Read(key + ".prev_sample"), given.PrevSample, what: $"{name} {key} prev_sample");
            // Row i drew its noise from torch.Generator().manual_seed(1000 + i).
            using var drawn = s.Step(mo, x, ts.Select((t, i) => new DdimSegment(1, t, 10, eta, new Generator((ulong)(1000 + i)))).ToArray());
            TensorAssert.Close(r.Read(key + ".generator_prev_sample"), drawn.PrevSample, what: $"{name} {key} generator_prev_sample");
            using var clipped = s.Step(mo, x, ts.Select((t, i) => new DdimSegment(1, t, 10, eta, VarianceNoise: noise[i..(i + 1)])).ToArray(),
                useClippedModelOutput: true);
            TensorAssert.Close(r.Read(key + ".clipped_model_output_prev_sample"), clipped.PrevSample, what: $"{name} {key} use_clipped_model_output");
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Trajectory_matches(string name)
    {
        // Ten steps with model output 0.1 x + 0.001 t (float32), feeding each prev_sample back.
        var (s, r) = Load(name);
        s.SetTimesteps(10);
        var x = r.Read("trajectory.x_T");
        var latents = new List<Tensor>();
        foreach (var t in s.Timesteps.TakeWhile(t => t < s.Config.NumTrainTimesteps))
        {
            x = s.Step(x * 0.1f + 0.001f * t, t, x).PrevSample;
            latents.Add(x);
        }
        TensorAssert.Close(r.Read("trajectory.latents"), stack(latents), what: $"{name} trajectory");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Add_noise_and_velocity_match(string name)
    {
        var (s, r) = Load(name);
        var x0 = r.Read("add_noise.original");
        var noise = r.Read("add_noise.noise");
        var ts = r.Read("add_noise.timesteps");
        TensorAssert.Close(r.Read("add_noise.noisy"), s.AddNoise(x0, noise, ts), what: $"{name} add_noise");
        TensorAssert.Close(r.Read("get_velocity.velocity"), s.GetVelocity(x0, noise, ts), what: $"{name} get_velocity");
    }
}
