using UnimoG.Client.Torch;
using UnimoG.Contracts.Tensors;
using UnimoG.Modeling;
using static TorchSharp.torch;

namespace UnimoG.Engines.Inference;

/// <summary>The denoiser's check of a condition it receives (the request's options are checked by <see cref="GenerationSpec.Check"/>).</summary>
public static class ConditionCheck
{
    /// <summary>
    /// The shape and datatype of a condition tensor from its header (the stream's first chunk), before its bytes are
    /// buffered: what <see cref="Check"/> would refuse later, refused while it costs nothing. Null when acceptable.
    /// </summary>
    public static string? Header(TensorHeader h, DenoiserModel model, DenoiserOptions limits)
    {
        var width = model.Folder.CrossAttentionDim;
        var shape = $"[{string.Join(", ", h.Shape)}]";
        var tokens = h.Shape.Length > 1 ? h.Shape[1] : 0;
        if (h.Name.EndsWith(".hidden_states", StringComparison.Ordinal))
        {
            if (h.DataType is not (TensorDataType.FP32 or TensorDataType.BF16 or TensorDataType.FP16) || h.Shape.Length != 3 || h.Shape[0] != 1 || h.Shape[2] != width)
                return $"expected FP32, BF16 or FP16 [1, L, {width}], got {h.DataType} {shape}";
        }
        else if (h.Name.EndsWith(".attention_mask", StringComparison.Ordinal))
        {
            if (h.Shape.Length != 2 || h.Shape[0] != 1) return $"expected [1, L], got {shape}";
        }
        else return null;   // unknown names are refused by name when the stream ends
        return tokens < 1 || tokens > limits.MaxConditionTokens
            ? $"{tokens} tokens; between 1 and {limits.MaxConditionTokens} are accepted (Denoiser:MaxConditionTokens)"
            : null;
    }

    /// <summary>
    /// A condition received as tensors: hidden states [1, L, D] of a float type (FP32, BF16, FP16) with D the U-Net's
    /// cross-attention width, and a key mask [1, L] (any integer, bool or float type). The condition returned lives at
    /// the U-Net's placement (states in its dtype, the mask int64, both on its device). Faults name the tensor.
    /// </summary>
    public static Conditioning Check(string prefix, Tensor hidden, Tensor mask, DenoiserModel model, DenoiserOptions limits)
    {
        // The header's checks again, for conditions that did not arrive as a stream (the one-process path).
        var statesName = $"{prefix}.hidden_states";
        if (Header(new TensorHeader(statesName, TorchTensorStreams.DataType(hidden.dtype, statesName), hidden.shape), model, limits) is { } problem)
            throw new TensorStreamException(statesName, problem);
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
        // The caller keeps (and disposes) the mask it passed; the condition owns its own tensors (hidden is the caller's
        // to give away: it is disposed here when a conversion replaces it).
        var at = model.Placement;
        var states = at.Place(hidden);
        if (!ReferenceEquals(states, hidden)) hidden.Dispose();
        return new Conditioning(states, mask.to(ScalarType.Int64, at.Device, copy: true));
    }
}
