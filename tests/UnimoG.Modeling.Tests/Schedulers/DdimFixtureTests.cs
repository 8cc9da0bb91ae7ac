using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Sampling;
using UnimoG.Modeling.Schedulers;
using UnimoG.TestSupport;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Schedulers;

/// <summary>The DDIM part of ../shared/fixtures/diffusers-a (real diffusers v0.31.0, see its README, section 4).</summary>
public class DdimFixtureTests
{
    private static readonly SafetensorsFile Io = SafetensorsFile.Open(RepoPaths.Fixtures("diffusers-a", "ddim_io.safetensors"));
    private static DdimScheduler Scheduler() => DdimScheduler.Load(RepoPaths.Fixtures("diffusers-a", "ddim"));

    [Fact]
    public void Betas_and_alphas_cumprod_match()
    {
        var s = Scheduler();
        using var betas = tensor(s.Betas.ToArray());
        using var alphas = tensor(s.AlphasCumprod.ToArray());
        TensorAssert.Close(Io.Read("betas"), betas, rtol: 0, atol: 1e-6, what: "betas");
        TensorAssert.Close(Io.Read("alphas_cumprod"), alphas, rtol: 0, atol: 1e-6, what: "alphas_cumprod");
        // Stronger than the tolerance: torch 1.13's float32 linspace and double-accumulated cumprod reproduced bit for bit.
        TensorAssert.Identical(Io.Read("betas"), betas, "betas");
        TensorAssert.Identical(Io.Read("alphas_cumprod"), alphas, "alphas_cumprod");
        Assert.Equal(s.AlphasCumprod[0], s.FinalAlphaCumprod);   // set_alpha_to_one false
        Assert.Equal(1.0, s.InitNoiseSigma);
    }

    [Theory]
    [InlineData(50)]
    [InlineData(10)]
    public void Timesteps_match_exactly(int steps)
    {
        var s = Scheduler();
        s.SetTimesteps(steps);
        Assert.Equal(Io.Read($"timesteps_{steps}").data<long>().ToArray(), s.Timesteps.ToArray());
    }

    [Fact]
    public void Plain_trajectory_matches()
    {
        // Fake predictor of the README: eps = 0.1 * x + 0.001 * t, float32, through the real sampling loop.
        DiffusionModel fake = (x, t, _) => x * 0.1f + Time(t, x);
        var (latents, preds) = Run(fake, uncond: null, guidance: 1.0);
        TensorAssert.Close(Io.Read("latents"), latents, what: "latents");
        TensorAssert.Close(Io.Read("pred_original_sample"), preds, what: "pred_original_sample");
    }

    [Fact]
    public void Guided_trajectory_matches()
    {
        // eps_uncond = 0.1 x, eps_cond = eps_uncond + 0.001 t; the condition's single hidden value (0 or 1) says which.
        // Guidance (scale 5) runs both branches in one batch and combines them as diffusers does.
        DiffusionModel fake = (x, t, c) =>
        {
            var isCond = c.HiddenStates.reshape(-1, 1, 1, 1);                                  // [2B, 1, 1, 1]
            return x * 0.1f + Time(t, x) * isCond;
        };
        using var cond = new Conditioning(ones(1, 1, 1));
        using var uncond = new Conditioning(zeros(1, 1, 1));
        var (latents, preds) = Run(fake, cond, uncond, guidance: 5.0);
        TensorAssert.Close(Io.Read("cfg_latents"), latents, what: "cfg_latents");
        TensorAssert.Close(Io.Read("cfg_pred_original_sample"), preds, what: "cfg_pred_original_sample");
    }

    [Fact]
    public void Step_on_stored_eps_reproduces_latents()
    {
        // diffusers' contract, step by step on the stored eps: prev_sample and pred_original_sample.
        var s = Scheduler();
        s.SetTimesteps(10);
        var eps = Io.Read("eps");
        var x = Io.Read("x_T");
        var latents = new List<Tensor>();
        for (var i = 0; i < 10; i++)
        {
            var o = s.Step(eps[i], s.Timesteps[i], x);
            latents.Add(o.PrevSample);
            x = o.PrevSample;
        }
        TensorAssert.Close(Io.Read("latents"), stack(latents), what: "latents");
    }

    [Fact]
    public void Initial_noise_matches_torch_generator()
    {
        // x_T is randn [1, 4, 8, 8] from torch.Generator seeded 30: a per-request generator gives the same numbers.
        using var noise = Samplers.InitialNoise(Scheduler().Start(new(1)), [1, 4, 8, 8], new Generator(30));
        TensorAssert.Identical(Io.Read("x_T"), noise, "x_T");
    }

    /// <summary>float32 0.001 * t, broadcast over x's rows: [B] int64 -> [B, 1, 1, 1].</summary>
    private static Tensor Time(Tensor t, Tensor x) => (t.to_type(ScalarType.Float32) * 0.001f).reshape(-1, 1, 1, 1).to_type(x.dtype);

    private static (Tensor Latents, Tensor Preds) Run(DiffusionModel model, Conditioning? cond = null, Conditioning? uncond = null, double guidance = 1.0)
    {
        using var c = cond is null ? new Conditioning(ones(1, 1, 1)) : null;
        var latents = new List<Tensor>();
        var preds = new List<Tensor>();
        var x = Samplers.Sample(model, Scheduler(), Io.Read("x_T"), cond ?? c!, uncond, new DdimSamplingOptions(10, guidance),
            callback: step =>
            {
                latents.Add(step.Latents.clone());
                preds.Add(step.PredictedOriginal.clone());
                return true;
            });
        TensorAssert.Identical(latents[^1], x, "final latent");
        return (stack(latents), stack(preds));
    }
}
