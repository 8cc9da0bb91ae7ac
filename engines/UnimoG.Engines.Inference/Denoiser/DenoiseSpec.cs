using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;
using UnimoG.Modeling;
using UnimoG.Engines;
using static TorchSharp.torch;

namespace UnimoG.Engines.Inference;

/// <summary>One denoising request as the batcher runs it (validated).</summary>
public sealed record DenoiseSpec(int Width, int Height, int Steps, double GuidanceScale, ulong Seed, int NumImages, double Eta,
    int PreviewInterval, PreviewKind PreviewKind, string RequestId)
{
    public bool Guided => GuidanceScale > 1;

    /// <summary>
    /// Checks the contract's options against the model and the limits; each fault is an
    /// <see cref="InvalidFieldException"/> naming the option (FailedPrecondition for another model).
    /// </summary>
    public static DenoiseSpec From(DenoiseOptions o, DenoiserModel model, DenoiserOptions limits)
    {
        ModelInfos.CheckModel(o.Model, model.Folder.Id);
        var factor = model.Folder.VaeScaleFactor;
        var width = o.Width == 0 ? model.Folder.DefaultWidth : o.Width;
        var height = o.Height == 0 ? model.Folder.DefaultHeight : o.Height;
        Side("width", width, factor, limits.MaxSide);
        Side("height", height, factor, limits.MaxSide);
        if (o.Steps < 1 || o.Steps > limits.MaxSteps)
            throw new InvalidFieldException("steps", $"must be between 1 and {limits.MaxSteps}, got {o.Steps}");
        if (!float.IsFinite(o.GuidanceScale) || o.GuidanceScale < 0)
            throw new InvalidFieldException("guidance_scale", $"must be a finite number >= 0, got {o.GuidanceScale}");
        var images = o.NumImages == 0 ? 1 : o.NumImages;
        if (images < 1 || images > limits.MaxBatchImages)
            throw new InvalidFieldException("num_images", $"must be between 1 and {limits.MaxBatchImages} (Denoiser:MaxBatchImages), got {o.NumImages}");
        if (!float.IsFinite(o.Eta) || o.Eta < 0 || o.Eta > 1)
            throw new InvalidFieldException("eta", $"must be between 0 and 1, got {o.Eta}");
        if (o.PreviewInterval < 0)
            throw new InvalidFieldException("preview_interval", $"must be 0 (no previews) or a positive number of steps, got {o.PreviewInterval}");
        if (!Enum.IsDefined(o.PreviewKind))
            throw new InvalidFieldException("preview_kind", $"unknown value {(int)o.PreviewKind}");
        var kind = o.PreviewInterval > 0 && o.PreviewKind == PreviewKind.None ? PreviewKind.Linear : o.PreviewKind;
        if (o.PreviewInterval > 0 && kind == PreviewKind.Linear && model.Preview is null)
            throw new InvalidFieldException("preview_kind", $"model '{model.Folder.Id}' has no linear preview factors ({Modeling.Sampling.LatentPreviewFactors.FileName}; `unimog models fit-preview` makes them): use PREVIEW_KIND_LATENT");
        return new DenoiseSpec(width, height, o.Steps, o.GuidanceScale, o.Seed, images, o.Eta, o.PreviewInterval, kind, o.RequestId);
    }

    private static void Side(string field, int value, int factor, int max)
    {
        var step = Math.Max(8, factor);
        if (value < step || value > max || value % 8 != 0 || value % factor != 0)
            throw new InvalidFieldException(field, $"must be a multiple of {step} between {step} and {max}, got {value}");
    }

    /// <summary>
    /// A condition received as tensors: hidden states FP32 [1, L, D] with D the U-Net's cross-attention width, and
    /// a key mask [1, L] (any integer, bool or float type; converted to int64). Faults name the tensor.
    /// </summary>
    public static Conditioning Condition(string prefix, Tensor hidden, Tensor mask, DenoiserModel model, DenoiserOptions limits)
    {
        var width = model.Folder.CrossAttentionDim;
        if (hidden.dtype != ScalarType.Float32 || hidden.dim() != 3 || hidden.shape[0] != 1 || hidden.shape[2] != width)
            throw new TensorStreamException($"{prefix}.hidden_states", $"expected FP32 [1, L, {width}], got {hidden.dtype} [{string.Join(", ", hidden.shape)}]");
        if (hidden.shape[1] < 1 || hidden.shape[1] > limits.MaxConditionTokens)
            throw new TensorStreamException($"{prefix}.hidden_states", $"{hidden.shape[1]} tokens; between 1 and {limits.MaxConditionTokens} are accepted (Denoiser:MaxConditionTokens)");
        if (mask.dim() != 2 || mask.shape[0] != 1 || mask.shape[1] != hidden.shape[1])
            throw new TensorStreamException($"{prefix}.attention_mask", $"expected [1, {hidden.shape[1]}] to match the hidden states, got [{string.Join(", ", mask.shape)}]");
        using (NewDisposeScope())
        {
            if (mask.dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64 && !mask.isfinite().all().item<bool>())
                throw new TensorStreamException($"{prefix}.attention_mask", "holds a value that is not finite");
            if (mask.to_type(ScalarType.Float64).abs().sum().item<double>() == 0)
                throw new TensorStreamException($"{prefix}.attention_mask", "masks every token: nothing is left to attend to");
            if (!hidden.isfinite().all().item<bool>())
                throw new TensorStreamException($"{prefix}.hidden_states", "holds a value that is not finite");
        }
        // The caller keeps (and disposes) the mask it passed; the condition owns the hidden states and this copy.
        return new Conditioning(hidden, mask.to_type(ScalarType.Int64, copy: true));
    }
}
