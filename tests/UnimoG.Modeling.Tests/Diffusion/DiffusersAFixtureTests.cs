using TorchSharp;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Diffusion;
using UnimoG.TestSupport;
using Xunit.Abstractions;

namespace UnimoG.Modeling.Tests.Diffusion;

/// <summary>
/// Reproduces ../shared/fixtures/diffusers-a: outputs of the real diffusers 0.31.0 (float32, CPU) for a
/// tiny U-Net and VAE, within 1e-4 absolute.
/// </summary>
public class DiffusersAFixtureTests(ITestOutputHelper output)
{
    private static string Dir => RepoPaths.Fixtures("diffusers-a");
    private const double Tol = 1e-4;

    [Fact]
    public void UNet_matches_diffusers_with_and_without_mask()
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        using var unet = UNet2DConditionModel.FromPretrained(Path.Combine(Dir, "unet"));
        var io = SafetensorsFile.Open(Path.Combine(Dir, "unet_io.safetensors"));
        var sample = io.Read("sample");
        var states = io.Read("encoder_hidden_states");

        using var debug = new TensorTrace();
        var outSample = unet.forward(sample, io.Read("timestep"), states, trace: debug.Record);
        var e = TensorAssert.Close(io.Read("output_sample"), outSample, 0, Tol, "output_sample");
        output.WriteLine($"output_sample max abs error {e:E2}");

        foreach (var name in io.Entries.Keys.Where(k => k.StartsWith("debug.", StringComparison.Ordinal)))
        {
            var key = name["debug.".Length..];
            Assert.True(debug.Tensors.ContainsKey(key), $"no traced tensor for {name}");
            var err = TensorAssert.Close(io.Read(name), debug[key], 0, Tol, name);
            output.WriteLine($"{name} max abs error {err:E2}");
        }

        var masked = unet.forward(sample, io.Read("timestep"), states, io.Read("encoder_attention_mask"));
        e = TensorAssert.Close(io.Read("output_sample_masked"), masked, 0, Tol, "output_sample_masked");
        output.WriteLine($"output_sample_masked max abs error {e:E2}");

        // A float timestep gives the same result.
        var viaFloat = unet.forward(sample, io.Read("timestep_f32"), states);
        TensorAssert.Close(io.Read("output_sample"), viaFloat, 0, Tol, "output_sample (float timestep)");
    }

    [Fact]
    public void VAE_matches_diffusers()
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        using var vae = AutoencoderKL.FromPretrained(Path.Combine(Dir, "vae"));
        var io = SafetensorsFile.Open(Path.Combine(Dir, "vae_io.safetensors"));
        using var traced = new TensorTrace();
        using var posterior = vae.Encode(io.Read("image"), traced.Record);
        foreach (var (name, got) in new[] { ("latent_dist_mean", posterior.Mean), ("latent_dist_logvar", posterior.LogVar),
                     ("latent_dist_std", posterior.Std()), ("debug.encoder_out", traced["encoder"]), ("debug.moments", traced["moments"]) })
            output.WriteLine($"{name} max abs error {TensorAssert.Close(io.Read(name), got, 0, Tol, name):E2}");

        var decoded = vae.Decode(io.Read("latent"), traced.Record);
        output.WriteLine($"decoded max abs error {TensorAssert.Close(io.Read("decoded"), decoded, 0, Tol, "decoded"):E2}");
        TensorAssert.Close(io.Read("debug.post_quant_conv_out"), traced["post_quant_conv"], 0, Tol, "debug.post_quant_conv_out");

        var recon = vae.Decode(posterior.Mode());
        output.WriteLine($"reconstruction max abs error {TensorAssert.Close(io.Read("reconstruction_from_mean"), recon, 0, Tol, "reconstruction_from_mean"):E2}");
    }
}
