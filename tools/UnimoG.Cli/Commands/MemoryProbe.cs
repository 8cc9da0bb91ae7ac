using TorchSharp;
using UnimoG.Modeling;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using static TorchSharp.torch;

namespace UnimoG.Cli;

/// <summary>
/// Activation memory measured, not guessed: a small model of the same block layout (every channel count divided by
/// k, so the first level has 32 channels; cross-attention 64 wide) runs one inference forward at two sizes, and the
/// process's peak resident memory above what it held before (VmHWM after resetting it through /proc/self/clear_refs)
/// is the forward's activation peak. Convolutional nets with flash attention hold activations proportional to
/// batch x pixels x channels, so the probe's bytes per (batch x latent pixel) times k extrapolates to the real model:
/// <c>activations(B, h, w) = a * k * B * h * w</c>, with a fitted from the two sizes (their ratio is checked).
/// </summary>
internal static class MemoryProbe
{
    public sealed record Fit(double BytesPerPixel, double Scale, double LinearityRatio, string Probe)
    {
        /// <summary>Extrapolated activation bytes at batch <paramref name="batch"/> and <paramref name="h"/> x <paramref name="w"/> (latent or image pixels).</summary>
        public double Bytes(int batch, int h, int w) => BytesPerPixel * Scale * batch * h * w;
    }

    /// <summary>The U-Net: latent sizes 32 and 64, batch 2, a 77-token condition.</summary>
    public static Fit? UNet(UNet2DConditionConfig config, ScalarType dtype)
    {
        var c0 = config.BlockOutChannels[0];
        if (c0 % 32 != 0) return null;
        var k = c0 / 32;
        var probe = config with
        {
            BlockOutChannels = [.. config.BlockOutChannels.Select(c => c / k)],
            CrossAttentionDim = 64,
            SampleSize = 16,
        };
        return Measure(dtype, k, $"U-Net at channels [{string.Join(", ", probe.BlockOutChannels)}]", (at, size) =>
        {
            UNet2DConditionModel unet;
            using (at.Use()) unet = new UNet2DConditionModel(probe);
            var x = randn(2, probe.InChannels, size, size);
            var h = randn(2, 77, 64).to_type(dtype);
            var t = tensor(new[] { 500f, 500f });
            return (unet, () => unet.forward(x, t, h));
        });
    }

    /// <summary>The VAE's decoder (its peak: the full-resolution layers): images 128 and 256, batch 1; bytes per image pixel.</summary>
    public static Fit? VaeDecode(AutoencoderKLConfig config, ScalarType dtype)
    {
        var c0 = config.BlockOutChannels[0];
        if (c0 % 32 != 0) return null;
        var k = c0 / 32;
        var probe = config with { BlockOutChannels = [.. config.BlockOutChannels.Select(c => c / k)], NormNumGroups = Math.Min(config.NormNumGroups, 32) };
        var f = 1 << (probe.BlockOutChannels.Count - 1);
        return Measure(dtype, k, $"VAE at channels [{string.Join(", ", probe.BlockOutChannels)}]", (at, size) =>
        {
            AutoencoderKL vae;
            using (at.Use()) vae = new AutoencoderKL(probe);
            var z = randn(1, probe.LatentChannels, size / f, size / f);
            return (vae, () => vae.Decode(z));
        }, sizes: (128, 256), rows: 1);
    }

    private const int MmapThreshold = -3;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);

    private static Fit? Measure(ScalarType dtype, int k, string what, Func<ModelPlacement, int, (nn.Module Model, Func<Tensor> Forward)> build,
        (int Small, int Large)? sizes = null, int rows = 2)
    {
        if (!File.Exists("/proc/self/clear_refs")) return null;
        // A fixed mmap threshold: blocks of 64 KiB and more are mapped and unmapped, so resident memory follows what is
        // live (glibc's dynamic threshold would keep freed activations in the heap and hide the next forward's peak).
        _ = mallopt(MmapThreshold, 64 << 10);
        var (s1, s2) = sizes ?? (32, 64);
        var at = new ModelPlacement(CPU, dtype);
        double Peak(int size)
        {
            var (model, forward) = build(at, size);
            using (model)
            using (inference_mode())
            {
                using (NewDisposeScope()) forward();                          // warm-up: allocator pools, kernels
                GC.Collect();
                var before = BenchCommand.Memory().Rss;
                File.WriteAllText("/proc/self/clear_refs", "5");              // resets VmHWM to the current RSS
                using (NewDisposeScope()) forward();
                return Math.Max(0, BenchCommand.Memory().Peak - before);
            }
        }
        var (p1, p2) = (Peak(s1), Peak(s2));
        double px1 = (double)s1 * s1, px2 = (double)s2 * s2;
        return new Fit(p2 / px2 / rows, k, p2 / Math.Max(p1, 1) / (px2 / px1), what);
    }
}
