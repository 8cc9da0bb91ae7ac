using TorchSharp;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Diffusion;
using UnimoG.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Diffusion;

/// <summary>
/// tests/data/diffusers-b: more configurations run through the real diffusers 0.31.0 (see its README):
/// three levels, linear projections, two transformer layers, head-count lists, scale_shift resnets,
/// only_cross_attention, odd latent sizes, no mid block, sharded fp16 weights, legacy VAE names.
/// </summary>
public class DiffusersBFixtureTests(ITestOutputHelper output)
{
    public static string Dir => Path.Combine(RepoPaths.Root, "tests", "data", "diffusers-b");
    private const double Tol = 1e-4;

    public static TheoryData<string, string?> UNetCases => new()
    {
        { "unet_three_levels", null },
        { "unet_linear_two_layers", null },
        { "unet_fp16_sharded_knobs", "fp16" },
        { "unet_no_mid_asymmetric", null },
    };

    public static TheoryData<string, string?> VaeCases => new()
    {
        { "vae_three_levels", null },
        { "vae_no_attention", null },
        { "vae_legacy_fp16_sharded", "fp16" },
        { "unet_linear_two_layers", null },   // a pipeline folder: vae/ beside unet/
    };

    [Theory]
    [MemberData(nameof(UNetCases))]
    public void UNet_matches_diffusers(string name, string? variant)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        using var unet = UNet2DConditionModel.FromPretrained(Path.Combine(Dir, name), variant);
        var io = SafetensorsFile.Open(Path.Combine(Dir, name, "unet_io.safetensors"));
        Tensor? cond = io.Entries.ContainsKey("timestep_cond") ? io.Read("timestep_cond") : null;
        var plain = unet.forward(io.Read("sample"), io.Read("timestep"), io.Read("encoder_hidden_states"), null, cond);
        var e1 = TensorAssert.Close(io.Read("output_sample"), plain, 0, Tol, $"{name} output_sample");
        var masked = unet.forward(io.Read("sample"), io.Read("timestep"), io.Read("encoder_hidden_states"), io.Read("encoder_attention_mask"), cond);
        var e2 = TensorAssert.Close(io.Read("output_sample_masked"), masked, 0, Tol, $"{name} output_sample_masked");
        output.WriteLine($"{name}: max abs error {e1:E2} (no mask), {e2:E2} (mask)");
    }

    [Theory]
    [MemberData(nameof(VaeCases))]
    public void VAE_matches_diffusers(string name, string? variant)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        using var vae = AutoencoderKL.FromPretrained(Path.Combine(Dir, name), variant);
        var io = SafetensorsFile.Open(Path.Combine(Dir, name, "vae_io.safetensors"));
        using var posterior = vae.Encode(io.Read("image"));
        var errors = new[]
        {
            TensorAssert.Close(io.Read("latent_dist_mean"), posterior.Mean, 0, Tol, $"{name} latent_dist_mean"),
            TensorAssert.Close(io.Read("latent_dist_logvar"), posterior.LogVar, 0, Tol, $"{name} latent_dist_logvar"),
            TensorAssert.Close(io.Read("decoded"), vae.Decode(io.Read("latent")), 0, Tol, $"{name} decoded"),
            TensorAssert.Close(io.Read("reconstruction_from_mean"), vae.Decode(posterior.Mode()), 0, Tol, $"{name} reconstruction_from_mean"),
        };
        output.WriteLine($"{name}: max abs errors mean/logvar/decoded/reconstruction {string.Join(" ", errors.Select(e => e.ToString("E2")))}");
    }
}
