using UnimoG.Data.Config;
using UnimoG.Modeling;
using UnimoG.Modeling.Configs;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;
using UnimoG.Modeling.Diffusion;
using UnimoG.Modeling.Sampling;
using UnimoG.Imaging;
using UnimoG.Modeling.Images;
using UnimoG.Modeling.Pipelines;
using UnimoG.Engines.Telemetry;
using static TorchSharp.torch;

namespace UnimoG.Engines.Inference;

/// <summary>
/// The model folder's VAE behind the contract. Latents are in the diffusion space (what the denoiser returns:
/// VAE latents times scaling_factor), so decoding divides by scaling_factor (and adds shift_factor) first, as the
/// diffusers pipelines do; encoding multiplies. One call at a time (<see cref="SerialWork"/>: queue "vae", steps and
/// spans "vae decode" and "vae encode").
/// </summary>
public sealed class VaeEngine : IDisposable
{
    private readonly SerialWork _work;

    public ModelFolder Folder { get; }
    public ModelInfo Info { get; }
    public AutoencoderKL Vae { get; }
    public VaeOptions Options { get; }

    public VaeEngine(ModelFolder folder, AutoencoderKL vae, VaeOptions options, UnimoGMetrics? metrics = null)
    {
        _work = new SerialWork("vae", metrics, options.MaxQueue, $"{VaeOptions.Section}:MaxQueue");
        Folder = folder;
        Info = ServedModel.Describe(folder);
        Vae = vae;
        Options = options;
    }

    /// <param name="metrics">The host's instruments (queue depth, decode latency), or null outside a host.</param>
    public static VaeEngine Load(ModelFolder folder, VaeOptions options, ModelOptions model, UnimoGMetrics? metrics = null)
    {
        if (model.Threads > 0) set_num_threads(model.Threads);
        return new VaeEngine(folder, AutoencoderKL.FromPretrained(folder.VaeFolder, at: PlacementOf(folder, options, model)), options, metrics);
    }

    /// <summary>The role's placement, in float32 where a float16 VAE upcasts (<see cref="VaeOptions.Upcast"/>).</summary>
    public static ModelPlacement PlacementOf(ModelFolder folder, VaeOptions options, ModelOptions model)
    {
        var placement = model.PlacementFor(options.Placement);
        if (placement.DType != ScalarType.Float16) return placement;
        var upcast = options.Upcast ?? ConfigJson.Read<AutoencoderKLConfig>(Path.Combine(folder.VaeFolder, "config.json")).ForceUpcast;
        return upcast ? placement with { DType = ScalarType.Float32 } : placement;
    }

    /// <summary>Where the VAE lives and computes.</summary>
    public ModelPlacement Placement => new(Vae.parameters().First().device, Vae.ComputeType);

    /// <summary>[N, C, h, w] latents (FP32, BF16 or FP16, diffusion space) -> one PNG per image. Faults name the tensor "latent".</summary>
    public IReadOnlyList<byte[]> Decode(Tensor latent)
    {
        var c = Vae.Config.LatentChannels;
        var f = Folder.VaeScaleFactor;
        if (latent.dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16) || latent.dim() != 4 || latent.shape[1] != c)
            throw new TensorStreamException("latent", $"expected FP32, BF16 or FP16 [N, {c}, h, w], got {latent.dtype} [{string.Join(", ", latent.shape)}]");
        if (latent.shape[0] < 1 || latent.shape[0] > Options.MaxImages)
            throw new TensorStreamException("latent", $"{latent.shape[0]} images; between 1 and {Options.MaxImages} per call (Vae:MaxImages)");
        if (latent.shape[2] < 1 || latent.shape[3] < 1)
            throw new TensorStreamException("latent", $"{latent.shape[2]}x{latent.shape[3]} is empty; height and width must be at least 1");
        if (latent.shape[2] * f > Options.MaxSide || latent.shape[3] * f > Options.MaxSide)
            throw new TensorStreamException("latent", $"{latent.shape[2]}x{latent.shape[3]} decodes to more than {Options.MaxSide} pixels a side (Vae:MaxSide)");
        return _work.Run("vae decode", () =>
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            if (!latent.isfinite().all().item<bool>())
                throw new TensorStreamException("latent", "holds values that are not finite");
            // Scaled in float32 on the VAE's device; the VAE casts to its own dtype.
            var z = LatentSpace.ToVae(latent.to(ScalarType.Float32, Placement.Device), Vae.Config.ScalingFactor, Vae.Config.ShiftFactor);
            return Png.EncodeBatch(Vae.Decode(z));                                                       // [N, 3, H, W]
        });
    }

    /// <summary>
    /// An image file to its latent [1, C, h, w] float32 in the diffusion space, on the VAE's device: the posterior mean,
    /// or a sample drawn with <paramref name="seed"/>. Transparent pixels are composited over white. Sides must be multiples of the VAE factor.
    /// </summary>
    public (Tensor Latent, Tensor Mean, Tensor LogVar) Encode(byte[] image, ulong? seed)
    {
        UnimoG.Imaging.DecodedImage decoded;
        try
        {
            decoded = ImageDecoder.Decode(image, new ImageLimits { MaxBytes = Options.MaxImageBytes, MaxSide = Options.MaxSide, MaxPixels = (long)Options.MaxSide * Options.MaxSide });
        }
        catch (ImageDecodeException e)
        {
            throw new InvalidFieldException("image", e.Message);
        }
        var f = Folder.VaeScaleFactor;
        if (decoded.Width % f != 0 || decoded.Height % f != 0)
            throw new InvalidFieldException("image", $"{decoded.Width}x{decoded.Height}: sides must be multiples of {f} (the VAE's factor)");
        return _work.Run("vae encode", () =>
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var rgb = tensor(decoded.ToRgb(Rgb.White), [decoded.Height, decoded.Width, 3], ScalarType.Byte);
            var x = PixelRange.ToSigned(rgb.permute(2, 0, 1).unsqueeze(0)).to(Placement.Device);          // [1, 3, H, W] in [-1, 1]
            using var posterior = Vae.Encode(x);
            using var generator = seed is { } s ? new Generator(s) : null;
            var z = generator is not null ? posterior.Sample(generator) : posterior.Mode();
            var latent = LatentSpace.FromVae(z, Vae.Config.ScalingFactor, Vae.Config.ShiftFactor).contiguous();
            return (latent.MoveToOuterDisposeScope(), posterior.Mean.clone().MoveToOuterDisposeScope(), posterior.LogVar.clone().MoveToOuterDisposeScope());
        });
    }

    public void Dispose() => Vae.Dispose();
}
