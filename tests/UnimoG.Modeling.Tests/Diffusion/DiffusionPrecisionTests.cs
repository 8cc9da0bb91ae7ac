using TorchSharp;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Diffusion;
using UnimoG.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Diffusion;

/// <summary>
/// The diffusers-a U-Net and VAE loaded straight into bfloat16 and float16, against diffusers' float32 outputs.
/// <para>
/// The tolerance is derived, not fitted: every weight layer on the path to a stage (a convolution or a linear map;
/// norms and activations are computed in float by libtorch's kernels) rounds its output once to the dtype's unit
/// roundoff u (2^-8 for bfloat16, 2^-11 for float16), and the weights themselves are rounded once when they load. If
/// those relative errors add up no faster than linearly, the stage at depth k is within u * k of the float32 result,
/// measured normwise: max |got - expected| / max |expected|. The test asserts that bound at every traced stage, so an
/// error growing faster than one roundoff per layer (a float32 op missing, a mask overflowing) fails where it starts.
/// The depths k are counted from the fixture's architecture (its README): see the tables below.
/// </para>
/// </summary>
public class DiffusionPrecisionTests(ITestOutputHelper output)
{
    private static string Dir => RepoPaths.Fixtures("diffusers-a");

    /// <summary>Weight layers on the longest path to each traced U-Net stage (resnet 2, transformer 8, sampler 1).</summary>
    private static readonly (string Stage, int Depth)[] UNetDepths =
    [
        ("time_embedding", 2), ("conv_in", 1), ("down_blocks.0", 12), ("down_blocks.1", 14), ("mid_block", 26),
        ("up_blocks.0", 31), ("up_blocks.1", 51), ("conv_norm_out", 51), ("conv_out", 52),
    ];

    public static double Roundoff(ScalarType dtype) => dtype == ScalarType.BFloat16 ? Math.Pow(2, -8) : Math.Pow(2, -11);

    /// <summary>
    /// Normwise: every |got - expected| within <paramref name="bound"/> * max |expected| (TensorAssert.Close with that
    /// atol and rtol 0, naming the worst element). Returns the relative error max |got - expected| / max |expected|.
    /// </summary>
    private static double AssertRelativeError(Tensor expected, Tensor got, double bound, string what)
    {
        double scale;
        using (var e = expected.to_type(ScalarType.Float64).abs().max()) scale = e.item<double>();
        return TensorAssert.Close(expected, got, rtol: 0, atol: bound * scale, what: $"{what} (bound {bound:E3} relative to max |expected| {scale:E3})") / scale;
    }

    [Theory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void UNet_stages_stay_within_one_roundoff_per_layer(ScalarType dtype)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var unet = UNet2DConditionModel.FromPretrained(Path.Combine(Dir, "unet"), at: new ModelPlacement(CPU, dtype));
        Assert.All(unet.parameters(), p => Assert.Equal(dtype, p.dtype));
        var io = SafetensorsFile.Open(Path.Combine(Dir, "unet_io.safetensors"));
        using var trace = new TensorTrace();
        var masked = unet.forward(io.Read("sample"), io.Read("timestep"), io.Read("encoder_hidden_states"), io.Read("encoder_attention_mask"));
        unet.forward(io.Read("sample"), io.Read("timestep"), io.Read("encoder_hidden_states"), trace: trace.Record);
        var u = Roundoff(dtype);
        foreach (var (stage, depth) in UNetDepths)
        {
            var err = AssertRelativeError(io.Read($"debug.{stage}"), trace[stage], u * depth, $"{dtype} {stage}");
            output.WriteLine($"{dtype} {stage,-15} depth {depth,2}: relative error {err:E2} (bound u*k = {u * depth:E2})");
        }
        var maskedErr = AssertRelativeError(io.Read("output_sample_masked"), masked, u * 52, $"{dtype} masked output");
        output.WriteLine($"{dtype} masked output: relative error {maskedErr:E2}");
    }

    /// <summary>VAE depths: encoder conv_in 1, resnet 2, downsample 1, resnet 2, mid (resnet 2, attention 2, resnet 2), conv_out 1; decoder post_quant_conv 1, conv_in 1, mid 6, 2 x 2 resnets + upsample, conv_out.</summary>
    [Theory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void VAE_encode_and_decode_stay_within_one_roundoff_per_layer(ScalarType dtype)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var vae = AutoencoderKL.FromPretrained(Path.Combine(Dir, "vae"), at: new ModelPlacement(CPU, dtype));
        Assert.Equal(dtype, vae.ComputeType);
        var io = SafetensorsFile.Open(Path.Combine(Dir, "vae_io.safetensors"));
        using var trace = new TensorTrace();
        using var posterior = vae.Encode(io.Read("image"), trace.Record);
        Assert.Equal(ScalarType.Float32, posterior.Mean.dtype);   // latents leave the VAE in float32
        var decoded = vae.Decode(io.Read("latent"), trace.Record);
        var u = Roundoff(dtype);
        foreach (var (name, got, depth) in new[]
                 {
                     ("debug.encoder_out", trace["encoder"], 13), ("debug.moments", trace["moments"], 14), ("latent_dist_mean", posterior.Mean, 14),
                     ("debug.post_quant_conv_out", trace["post_quant_conv"], 1), ("decoded", decoded, 18),
                 })
        {
            var err = AssertRelativeError(io.Read(name), got, u * depth, $"{dtype} {name}");
            output.WriteLine($"{dtype} {name,-26} depth {depth,2}: relative error {err:E2} (bound {u * depth:E2})");
        }
    }
}
