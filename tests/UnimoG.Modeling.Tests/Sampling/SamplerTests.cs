using TorchSharp;
using UnimoG.Modeling.Images;
using UnimoG.Modeling.Sampling;
using UnimoG.Modeling.Schedulers;
using UnimoG.TestSupport;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Sampling;

public class SamplerTests
{
    private static DdimScheduler Scheduler() => DdimScheduler.Load(RepoPaths.Fixtures("diffusers-a", "ddim"));

    /// <summary>A stand-in VAE decoder: 4 latent channels -> 3 image channels in [-1, 1], 2x nearest upsampling.</summary>
    private static Tensor ToyDecoder(Tensor z) =>
        nn.functional.interpolate((z[.., ..3] / 3).tanh(), scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);

    private static GenerationOptions Options(long seed, double eta = 0) => new()
    {
        Height = 16, Width = 16, VaeScaleFactor = 2, Seed = seed, Sampling = new DdimSamplingOptions(Steps: 6, GuidanceScale: 5.0, Eta: eta),
    };

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void The_same_seed_gives_the_same_PNG_bytes(double eta)
    {
        using var cond = new Conditioning(full(2, 3, 8, 0.02f));
        using var uncond = new Conditioning(zeros(1, 2, 8));
        var a = LatentDiffusion.Generate(GuidanceTests.ToyDenoiser, ToyDecoder, Scheduler(), cond, uncond, Options(42, eta));
        var b = LatentDiffusion.Generate(GuidanceTests.ToyDenoiser, ToyDecoder, Scheduler(), cond, uncond, Options(42, eta));
        var c = LatentDiffusion.Generate(GuidanceTests.ToyDenoiser, ToyDecoder, Scheduler(), cond, uncond, Options(43, eta));
        Assert.Equal(2, a.Count);
        Assert.Equal(a[0], b[0]);
        Assert.Equal(a[1], b[1]);
        Assert.NotEqual(a[0], c[0]);
        Assert.NotEqual(a[0], a[1]);                                 // rows get different noise from the one generator
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, a[0][..4]);
        using var decoded = SkiaSharp.SKBitmap.Decode(a[0]);
        Assert.True(decoded.Pixels.Select(p => p.Red).Distinct().Count() > 20, "the image carries information, not a saturated plane");
    }

    [Fact]
    public void Generate_is_noise_then_guided_DDIM_then_decode_then_PNG()
    {
        // The same path spelled out by hand from the public pieces gives the same bytes.
        using var cond = new Conditioning(full(1, 3, 8, 0.5f));
        using var uncond = new Conditioning(zeros(1, 2, 8));
        var png = LatentDiffusion.Generate(GuidanceTests.ToyDenoiser, ToyDecoder, Scheduler(), cond, uncond, Options(7));
        var g = new Generator(7);
        using var noise = randn([1, 4, 8, 8], generator: g);
        using var latents = Samplers.Sample(GuidanceTests.ToyDenoiser, Scheduler(), noise, cond, uncond, Options(7).Sampling);
        using var image = ToyDecoder(latents);
        Assert.Equal(Png.Encode(image[0]), png[0]);
    }

    [Fact]
    public void The_negative_condition_takes_the_unconditional_place()
    {
        using var cond = new Conditioning(full(1, 3, 8, 0.5f));
        using var negative = new Conditioning(full(1, 3, 8, -2f));
        var seen = new List<float[]>();
        DiffusionModel spy = (x, t, c) =>
        {
            seen.Add(c.HiddenStates[.., 0, 0].data<float>().ToArray());
            return GuidanceTests.ToyDenoiser(x, t, c);
        };
        using var noise = randn([1, 4, 4, 4], generator: new Generator(1));
        using var _ = Samplers.Sample(spy, Scheduler(), noise, cond, negative, new DdimSamplingOptions(Steps: 3));
        Assert.Equal(3, seen.Count);
        Assert.All(seen, rows => Assert.Equal(new[] { -2f, 0.5f }, rows));
    }

    [Fact]
    public void Guidance_scale_of_one_or_less_runs_the_conditional_branch_only()
    {
        using var cond = new Conditioning(full(1, 3, 8, 0.5f));
        using var uncond = new Conditioning(zeros(1, 3, 8));
        var rows = new List<long>();
        DiffusionModel spy = (x, t, c) => { rows.Add(x.shape[0]); return GuidanceTests.ToyDenoiser(x, t, c); };
        using var noise = randn([1, 4, 4, 4], generator: new Generator(1));
        using var _ = Samplers.Sample(spy, Scheduler(), noise, cond, uncond, new DdimSamplingOptions(Steps: 2, GuidanceScale: 1.0));
        Assert.Equal([1L, 1L], rows);
    }

    [Fact]
    public void Cancellation_stops_at_the_next_step()
    {
        using var cond = new Conditioning(full(1, 3, 8, 0.5f));
        using var noise = randn([1, 4, 4, 4], generator: new Generator(1));
        using var cts = new CancellationTokenSource();
        var calls = 0;
        var seen = new List<(int Index, double Timestep)>();
        DiffusionModel counting = (x, t, c) => { calls++; return GuidanceTests.ToyDenoiser(x, t, c); };
        Assert.Throws<OperationCanceledException>(() => Samplers.Sample(counting, Scheduler(), noise, cond, null, new DdimSamplingOptions(Steps: 10),
            callback: step =>
            {
                seen.Add((step.Index, step.Timestep));
                if (step.Index == 2) cts.Cancel();
                return true;
            }, cancellationToken: cts.Token));
        Assert.Equal(3, calls);
        Assert.Equal([(0, 901.0), (1, 801.0), (2, 701.0)], seen);

        // The callback itself can stop sampling: no further model call.
        calls = 0;
        Assert.Throws<OperationCanceledException>(() => Samplers.Sample(counting, Scheduler(), noise, cond, null, new DdimSamplingOptions(Steps: 10),
            callback: step => step.Index < 4));
        Assert.Equal(5, calls);
    }

    [Fact]
    public void Callback_sees_the_latent_and_predicted_x0_of_each_step()
    {
        using var cond = new Conditioning(full(1, 3, 8, 0.5f));
        using var noise = randn([1, 4, 4, 4], generator: new Generator(5));
        var s = Scheduler();
        var steps = new List<(Tensor Latents, Tensor X0)>();
        using var final = Samplers.Sample(GuidanceTests.ToyDenoiser, s, noise, cond, null, new DdimSamplingOptions(Steps: 4),
            callback: step => { steps.Add((step.Latents.clone(), step.PredictedOriginal.clone())); return true; });
        Assert.Equal(4, steps.Count);
        TensorAssert.Identical(steps[^1].Latents, final, "last callback latent");
        // Step 0 by hand with the scheduler's own contract.
        s.SetTimesteps(4);
        using var t = tensor(new long[] { s.Timesteps[0] });
        using var eps = GuidanceTests.ToyDenoiser(noise, t, cond);
        using var first = s.Step(eps, s.Timesteps[0], noise);
        TensorAssert.Identical(first.PrevSample, steps[0].Latents, "step 0 latent");
        TensorAssert.Identical(first.PredOriginalSample, steps[0].X0, "step 0 predicted x_0");
    }

    [Fact]
    public void Each_step_disposes_its_tensors()
    {
        // Live tensors on this thread after sampling do not depend on the number of steps: memory stays flat.
        using var cond = new Conditioning(full(1, 3, 8, 0.5f));
        using var uncond = new Conditioning(zeros(1, 2, 8));
        using var noise = randn([1, 4, 8, 8], generator: new Generator(1));
        long Leaked(int steps)
        {
            var before = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
            var result = Samplers.Sample(GuidanceTests.ToyDenoiser, Scheduler(), noise, cond, uncond,
                new DdimSamplingOptions(Steps: steps, Eta: 0.5), new Generator(2), step => true);
            result.Dispose();
            return DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount - before;
        }
        Leaked(2);   // warm-up
        Assert.Equal(0, Leaked(3));
        Assert.Equal(0, Leaked(12));
    }
}
