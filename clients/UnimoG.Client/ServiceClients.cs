using UnimoG.Contracts.V1;
using static TorchSharp.torch;

namespace UnimoG.Client;

/// <summary>A prompt's condition tensors as the encoder returns them. Owns the tensors.</summary>
public sealed class EncodedPrompt(Tensor hiddenStates, Tensor attentionMask, IReadOnlyList<VisualSpan> spans, string model, bool cacheHit) : IDisposable
{
    /// <summary>[1, L, D] float32.</summary>
    public Tensor HiddenStates { get; } = hiddenStates;
    /// <summary>[1, L] int64, 1 = token.</summary>
    public Tensor AttentionMask { get; } = attentionMask;
    /// <summary>Where each prompt image's visual tokens sit in L.</summary>
    public IReadOnlyList<VisualSpan> Spans { get; } = spans;
    public string Model { get; } = model;
    public bool CacheHit { get; } = cacheHit;

    public void Dispose()
    {
        HiddenStates.Dispose();
        AttentionMask.Dispose();
    }
}

/// <summary>What a denoising call streams back, in order: steps (with previews between them), then the final latent.</summary>
public abstract record DenoiseUpdate
{
    private DenoiseUpdate() { }

    /// <summary>Step <c>Value.Step</c> (1-based) of <c>Value.Total</c> is done.</summary>
    public sealed record Step(DenoiseStep Value) : DenoiseUpdate;

    /// <summary>A linear preview after step <paramref name="StepNumber"/>: one PNG per image, at latent resolution.</summary>
    public sealed record LinearPreview(int StepNumber, IReadOnlyList<byte[]> Pngs) : DenoiseUpdate;

    /// <summary>The predicted clean latent after step <paramref name="StepNumber"/> [N, C, h, w] (diffusion space). The receiver owns it.</summary>
    public sealed record LatentPreview(int StepNumber, Tensor Latent) : DenoiseUpdate;

    /// <summary>The final latent [N, C, h, w] (diffusion space) and the call's timings. The receiver owns the tensor.</summary>
    public sealed record Final(Tensor Latent, DenoiseCompleted Completed) : DenoiseUpdate;
}

/// <summary>The encoder service, over gRPC (<see cref="EncoderClient"/>) or in process.</summary>
public interface IEncoderClient
{
    /// <summary>One prompt's condition; <c>request.Unconditional</c> asks for the empty prompt of guidance.</summary>
    Task<EncodedPrompt> EncodeAsync(EncodeRequest request, CancellationToken cancellationToken = default, DateTime? deadline = null);

    Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default);
}

/// <summary>The denoiser service, over gRPC (<see cref="DenoiserClient"/>) or in process.</summary>
public interface IDenoiserClient
{
    /// <summary>
    /// Denoises one request. Cancelling (or the deadline) stops it at the next step. The conditions are read
    /// before the first update arrives; the caller keeps owning them.
    /// </summary>
    IAsyncEnumerable<DenoiseUpdate> DenoiseAsync(DenoiseOptions options, EncodedPrompt cond, EncodedPrompt? uncond,
        CancellationToken cancellationToken = default, DateTime? deadline = null);

    Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default);
}

/// <summary>The VAE service, over gRPC (<see cref="VaeClient"/>) or in process.</summary>
public interface IVaeClient
{
    /// <summary>Latents [N, C, h, w] (diffusion space) to one PNG per image.</summary>
    Task<IReadOnlyList<byte[]>> DecodeAsync(Tensor latent, CancellationToken cancellationToken = default, DateTime? deadline = null);

    Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default);
}
