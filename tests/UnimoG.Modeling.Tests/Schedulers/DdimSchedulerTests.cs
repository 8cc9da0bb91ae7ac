using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Schedulers;
using UnimoG.TestSupport;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Schedulers;

public class DdimSchedulerTests
{
    private static DdimScheduler Fixture() => DdimScheduler.Load(RepoPaths.Fixtures("diffusers-a", "ddim"));

    /// <summary>alphas_cumprod of the shared fixture (computed by diffusers), as doubles.</summary>
    private static double[] ReferenceAlphas() =>
        SafetensorsFile.Open(RepoPaths.Fixtures("diffusers-a", "ddim_io.safetensors")).Read("alphas_cumprod", ScalarType.Float64).data<double>().ToArray();

    [Fact]
    public void Add_noise_and_velocity_follow_the_closed_form()
    {
        // q(x_t | x_0) = sqrt(a_t) x_0 + sqrt(1 - a_t) eps and v = sqrt(a_t) eps - sqrt(1 - a_t) x_0, in float64 from diffusers' a_t.
        var alpha = ReferenceAlphas();
        var g = new Generator(7);
        using var x0 = randn([4, 3, 5], generator: g);
        using var eps = randn([4, 3, 5], generator: g);
        long[] ts = [0, 17, 500, 999];
        using var t = tensor(ts);
        var sqrtA = tensor(ts.Select(i => Math.Sqrt(alpha[i])).ToArray()).reshape(4, 1, 1);
        var sqrtB = tensor(ts.Select(i => Math.Sqrt(1 - alpha[i])).ToArray()).reshape(4, 1, 1);
        var x64 = x0.to_type(ScalarType.Float64);
        var e64 = eps.to_type(ScalarType.Float64);
        var s = Fixture();
        TensorAssert.Close(sqrtA * x64 + sqrtB * e64, s.AddNoise(x0, eps, t), rtol: 1e-6, atol: 1e-6, what: "add_noise");
        TensorAssert.Close(sqrtA * e64 - sqrtB * x64, s.GetVelocity(x0, eps, t), rtol: 1e-6, atol: 1e-6, what: "get_velocity");
    }

    [Fact]
    public void V_prediction_of_the_true_velocity_recovers_x0()
    {
        // x_0 = sqrt(a) x_t - sqrt(1 - a) v and eps = sqrt(a) v + sqrt(1 - a) x_t: a perfect v model gives back x_0.
        var s = new DdimScheduler(DdimSchedulerConfig.Load(RepoPaths.Fixtures("diffusers-a", "ddim")) with { PredictionType = "v_prediction" });
        s.SetTimesteps(10);
        var g = new Generator(3);
        using var x0 = randn([2, 4, 8, 8], generator: g);
        using var eps = randn([2, 4, 8, 8], generator: g);
        foreach (var t in s.Timesteps)
        {
            using var ts = full(2, t, dtype: ScalarType.Int64);
            using var xt = s.AddNoise(x0, eps, ts);
            using var v = s.GetVelocity(x0, eps, ts);
            using var o = s.Step(v, t, xt);
            TensorAssert.Close(x0, o.PredOriginalSample, rtol: 0, atol: 2e-5, what: $"x_0 at t = {t}");
        }
    }

    [Fact]
    public void A_row_stepped_in_a_batch_equals_the_row_stepped_alone()
    {
        // Requests at different timesteps of different schedules, with and without eta, batched together.
        var config = DdimSchedulerConfig.Load(RepoPaths.Fixtures("diffusers-a", "ddim")) with { Thresholding = true, DynamicThresholdingRatio = 0.9, SampleMaxValue = 1.5 };
        var s = new DdimScheduler(config);
        var g = new Generator(11);
        using var x = randn([5, 4, 6, 6], generator: g) * 2;
        using var mo = randn([5, 4, 6, 6], generator: g);
        DdimSegment[] Segments(ulong seedA, ulong seedB) =>
        [
            new(2, 981, 50),
            new(1, 1, 10, Eta: 1.0, Generator: new Generator(seedA)),
            new(2, 601, 10, Eta: 0.3, Generator: new Generator(seedB)),
        ];
        using var batched = s.Step(mo, x, Segments(5, 6));
        var alone = Segments(5, 6);
        long start = 0;
        foreach (var seg in alone)
        {
            using var one = s.Step(mo.narrow(0, start, seg.Rows), x.narrow(0, start, seg.Rows), [seg]);
            TensorAssert.Identical(one.PrevSample, batched.PrevSample.narrow(0, start, seg.Rows), $"rows {start}.. prev_sample");
            TensorAssert.Identical(one.PredOriginalSample, batched.PredOriginalSample.narrow(0, start, seg.Rows), $"rows {start}.. pred_original_sample");
            start += seg.Rows;
        }
        // And the noise really came from each request's own generator.
        using var reseeded = s.Step(mo, x, Segments(5, 7));
        TensorAssert.Identical(batched.PrevSample.narrow(0, 0, 3), reseeded.PrevSample.narrow(0, 0, 3), "rows of unchanged generators");
        TensorAssert.NotClose(reseeded.PrevSample.narrow(0, 3, 2), batched.PrevSample.narrow(0, 3, 2), rtol: 1e-5, atol: 1e-8, what: "rows of reseeded generators");   // torch.allclose's defaults
    }

    [Fact]
    public void Final_step_uses_the_final_alpha()
    {
        // At t = 1 with 10 steps the previous timestep is -99: alpha_prev is alphas_cumprod[0] (set_alpha_to_one false) or 1.
        foreach (var alphaToOne in new[] { false, true })
        {
            var config = DdimSchedulerConfig.Load(RepoPaths.Fixtures("diffusers-a", "ddim")) with { SetAlphaToOne = alphaToOne };
            var s = new DdimScheduler(config);
            s.SetTimesteps(10);
            using var x = full(1, 2, 0.5f);
            using var eps = full(1, 2, 0.25f);
            using var o = s.Step(eps, 1, x);
            double a = s.AlphasCumprod[1], ap = alphaToOne ? 1.0 : s.AlphasCumprod[0];
            var x0 = (0.5 - Math.Sqrt(1 - a) * 0.25) / Math.Sqrt(a);
            var expected = Math.Sqrt(ap) * x0 + Math.Sqrt(1 - ap) * 0.25;
            Assert.Equal(expected, o.PrevSample[0, 0].item<float>(), 1e-6);
        }
    }

    [Fact]
    public void Step_before_set_timesteps_and_bad_arguments_fail_clearly()
    {
        var s = Fixture();
        using var x = zeros(1, 4);
        Assert.Contains("SetTimesteps", Assert.Throws<InvalidOperationException>(() => s.Step(x, 1, x)).Message);
        s.SetTimesteps(10);
        Assert.Contains("timestep 1000", Assert.Throws<ArgumentOutOfRangeException>(() => s.Step(x, 1000, x)).Message);
        Assert.Contains("generator or variance_noise", Assert.Throws<ArgumentException>(() => s.Step(x, 1, x, eta: 0.5)).Message);
        Assert.Contains("both generator and variance_noise",
            Assert.Throws<ArgumentException>(() => s.Step(x, 1, x, eta: 0.5, generator: new Generator(1), varianceNoise: x)).Message);
        using var wide = zeros(1, 5);
        Assert.Contains("differs from sample shape", Assert.Throws<ArgumentException>(() => s.Step(wide, 1, x)).Message);
        Assert.Contains("cannot be larger than num_train_timesteps", Assert.Throws<ArgumentOutOfRangeException>(() => s.SetTimesteps(1001)).Message);
        Assert.Contains(">= 1", Assert.Throws<ArgumentOutOfRangeException>(() => s.SetTimesteps(0)).Message);
    }

    [Theory]
    [InlineData("""{"beta_schedule": "sigmoid"}""", "beta_schedule")]
    [InlineData("""{"prediction_type": "flow"}""", "prediction_type")]
    [InlineData("""{"timestep_spacing": "karras"}""", "timestep_spacing")]
    [InlineData("""{"num_train_timesteps": "1000"}""", "num_train_timesteps")]
    [InlineData("""{"steps_offset": 1.5}""", "steps_offset")]
    [InlineData("""{"clip_sample": "yes"}""", "clip_sample")]
    [InlineData("""{"trained_betas": [0.1, "x"]}""", "trained_betas[1]")]
    [InlineData("""{"num_train_timesteps": 3, "trained_betas": [0.1, 0.2]}""", "trained_betas")]
    [InlineData("""{"thresholding": true, "dynamic_thresholding_ratio": 1.5}""", "dynamic_thresholding_ratio")]
    [InlineData("""{"betas_start": 0.1}""", "betas_start")]
    [InlineData("""{"beta_start": -Infinity}""", "beta_start")]
    [InlineData("""{"beta_end": NaN}""", "beta_end")]
    public void Config_values_we_do_not_support_fail_naming_the_key(string json, string key)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigJson.Parse<DdimSchedulerConfig>(json, "scheduler_config.json"));
        Assert.Equal(key, e.Key);
        Assert.StartsWith($"scheduler_config.json: {key}: ", e.Message);
    }

    [Fact]
    public void Configs_diffusers_saved_for_other_samplers_read()
    {
        // diffusers' own files, -Infinity (lambda_min_clipped of DPM-Solver) included: DDIM takes its keys, ignores the rest.
        var dirs = Directory.GetDirectories(RepoPaths.Fixtures("diffusers-samplers-a"));
        Assert.NotEmpty(dirs);
        foreach (var dir in dirs)
        {
            var c = DdimSchedulerConfig.Load(dir);
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "scheduler_config.json")).Replace("-Infinity", "null"))!;
            Assert.Equal((double)json["beta_start"]!, c.BetaStart);
            Assert.Equal((string)json["timestep_spacing"]!, c.TimestepSpacing);
            Assert.Equal((int)json["steps_offset"]!, c.StepsOffset);
            if (json["lambda_min_clipped"] is not null || File.ReadAllText(Path.Combine(dir, "scheduler_config.json")).Contains("-Infinity"))
                Assert.Equal("-Infinity", c.IgnoredKeys!["lambda_min_clipped"].GetString());
        }
    }

    [Fact]
    public void Configs_of_other_schedulers_load_like_diffusers_from_config()
    {
        // Stable Diffusion 1.5 ships a PNDMScheduler config; diffusers' DDIMScheduler.from_config ignores its extra keys.
        var c = ConfigJson.Parse<DdimSchedulerConfig>("""
            {"_class_name": "PNDMScheduler", "_diffusers_version": "0.6.0", "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "beta_start": 0.00085, "num_train_timesteps": 1000, "set_alpha_to_one": false, "skip_prk_steps": true,
             "steps_offset": 1, "trained_betas": null, "clip_sample": false}
            """, "scheduler_config.json");
        Assert.Equal("scaled_linear", c.BetaSchedule);
        Assert.Equal(1, c.StepsOffset);
        Assert.Equal("epsilon", c.PredictionType);     // defaults of diffusers v0.31.0 for absent keys
        Assert.Equal("leading", c.TimestepSpacing);
        var fixture = DdimSchedulerConfig.Load(RepoPaths.Fixtures("diffusers-a", "ddim"));
        Assert.Equal(fixture with { IgnoredKeys = null }, c with { DynamicThresholdingRatio = fixture.DynamicThresholdingRatio, IgnoredKeys = null });
        Assert.Equal(["_class_name", "_diffusers_version", "skip_prk_steps"], c.IgnoredKeys!.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Load_finds_the_scheduler_in_a_pipeline_folder()
    {
        var root = Directory.CreateTempSubdirectory("pipeline-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "scheduler"));
        File.Copy(RepoPaths.Fixtures("diffusers-a", "ddim", "scheduler_config.json"), Path.Combine(root, "scheduler", "scheduler_config.json"));
        Assert.Equal(DdimSchedulerConfig.Load(RepoPaths.Fixtures("diffusers-a", "ddim")), DdimSchedulerConfig.Load(root));
        var e = Assert.Throws<FileNotFoundException>(() => DdimSchedulerConfig.Load(Path.Combine(root, "scheduler", "nothing")));
        Assert.Contains("scheduler_config.json", e.Message);
    }
}
