using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;

namespace UnimoG.Client;

/// <summary>
/// A prompt's condition as it travels between the services: the hidden states [1, L, D] and the key mask [1, L]
/// (1 = token) as <see cref="WireTensor"/>s, and where each prompt image's visual tokens sit. On the model side the same
/// bag is <c>UnimoG.Modeling.Conditioning</c> (torch tensors). Owns the tensors.
/// </summary>
public sealed class WireConditioning(WireTensor hiddenStates, WireTensor attentionMask, IReadOnlyList<VisualSpan> spans, string model, bool cacheHit) : IDisposable
{
    public WireTensor HiddenStates { get; } = hiddenStates;
    public WireTensor AttentionMask { get; } = attentionMask;
    public IReadOnlyList<VisualSpan> Spans { get; } = spans;
    public string Model { get; } = model;
    public bool CacheHit { get; } = cacheHit;

    public void Dispose()
    {
        HiddenStates.Dispose();
        AttentionMask.Dispose();
    }
}

/// <summary>What a denoising call streams back, in order: queue positions while it waits, steps (with previews between them), then the final latent.</summary>
public abstract record DenoiseUpdate
{
    private DenoiseUpdate() { }

    /// <summary>Waiting for a batch slot: <c>Value.Position</c> requests ahead, <c>Value.Active</c> being denoised. Sent when it
    /// starts to wait and whenever the position changes, before the first step.</summary>
    public sealed record Queued(DenoiseQueued Value) : DenoiseUpdate;

    /// <summary>Step <c>Value.Step</c> (1-based) of <c>Value.Total</c> is done.</summary>
    public sealed record Step(DenoiseStep Value) : DenoiseUpdate;

    /// <summary>A linear preview after step <paramref name="StepNumber"/>: one PNG per image, at latent resolution.</summary>
    public sealed record LinearPreview(int StepNumber, IReadOnlyList<byte[]> Pngs) : DenoiseUpdate;

    /// <summary>The predicted clean latent after step <paramref name="StepNumber"/> [N, C, h, w] (diffusion space). The receiver owns it.</summary>
    public sealed record LatentPreview(int StepNumber, WireTensor Latent) : DenoiseUpdate;

    /// <summary>The final latent [N, C, h, w] (diffusion space) and the call's timings. The receiver owns the tensor.</summary>
    public sealed record Final(WireTensor Latent, DenoiseCompleted Completed) : DenoiseUpdate;

    /// <summary>Frees the tensor an update carries (an update that will never be read).</summary>
    public static void Release(DenoiseUpdate update)
    {
        switch (update)
        {
            case LatentPreview p: p.Latent.Dispose(); break;
            case Final f: f.Latent.Dispose(); break;
        }
    }
}

/// <summary>The encoder service, over gRPC (<see cref="EncoderClient"/>) or in process.</summary>
public interface IEncoderClient
{
    /// <summary>One prompt's condition; <c>request.Unconditional</c> asks for the empty prompt of guidance.</summary>
    Task<WireConditioning> EncodeAsync(EncodeRequest request, CancellationToken cancellationToken = default, DateTime? deadline = null);

    Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default);
}

/// <summary>The denoiser service, over gRPC (<see cref="DenoiserClient"/>) or in process.</summary>
public interface IDenoiserClient
{
    /// <summary>
    /// Denoises one request. Cancelling (or the deadline) stops it at the next step. The conditions are read
    /// before the first update arrives; the caller keeps owning them.
    /// </summary>
    IAsyncEnumerable<DenoiseUpdate> DenoiseAsync(DenoiseOptions options, WireConditioning cond, WireConditioning? uncond,
        CancellationToken cancellationToken = default, DateTime? deadline = null);

    Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default);
}

/// <summary>The VAE service, over gRPC (<see cref="VaeClient"/>) or in process.</summary>
public interface IVaeClient
{
    /// <summary>Latents [N, C, h, w] (diffusion space) to one PNG per image. The caller keeps owning the latent.</summary>
    Task<IReadOnlyList<byte[]>> DecodeAsync(WireTensor latent, CancellationToken cancellationToken = default, DateTime? deadline = null);

    Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default);
}
