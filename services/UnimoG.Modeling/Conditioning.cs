using static TorchSharp.torch;

namespace UnimoG.Modeling;

/// <summary>Where one prompt image's visual tokens sit in the condition sequence: [Start, End).</summary>
public readonly record struct VisualSpan(int ImageIndex, int Start, int End)
{
    public int Length => End - Start;
}

/// <summary>
/// What the U-Net cross-attends to, as one named bag (k-diffusion style): the encoder's hidden states
/// [B, L, D], an optional key mask [B, L] (1 = attend, 0 = padding) and, for multimodal prompts, the
/// visual-token span of each image per batch row. The encoder produces it, the denoiser consumes it,
/// the trainer's attention loss reads the spans.
/// </summary>
public sealed class Conditioning(Tensor hiddenStates, Tensor? attentionMask = null, IReadOnlyList<IReadOnlyList<VisualSpan>>? spans = null) : IDisposable
{
    public Tensor HiddenStates { get; } = hiddenStates;
    public Tensor? AttentionMask { get; } = attentionMask;
    public IReadOnlyList<IReadOnlyList<VisualSpan>> Spans { get; } = spans ?? [];

    public long BatchSize => HiddenStates.shape[0];
    public long Length => HiddenStates.shape[1];
    public long Width => HiddenStates.shape[2];

    public void Dispose()
    {
        HiddenStates.Dispose();
        AttentionMask?.Dispose();
    }
}
