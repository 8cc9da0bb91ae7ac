using UnimoG.Text.Prompts;
using static TorchSharp.torch;

namespace UnimoG.Modeling;

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

    /// <summary>
    /// The rows of each part in order, as one batch (classifier-free guidance puts [uncond; cond] in one
    /// forward). Sequences of different lengths are padded at the end with zero states and mask 0, so a
    /// key mask exists whenever lengths differ or any part has one (rows without a mask get ones); parts
    /// of equal length without masks stay maskless, exactly what the reference pipelines feed the U-Net.
    /// Spans are kept per row (padding is at the end, so they stay valid). New tensors: dispose the result.
    /// </summary>
    public static Conditioning Concat(params IReadOnlyList<Conditioning> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("no conditioning to concatenate", nameof(parts));
        var width = parts[0].Width;
        if (parts.FirstOrDefault(p => p.Width != width) is { } odd)
            throw new ArgumentException($"conditionings of different widths cannot share a batch: {width} and {odd.Width}");
        var length = parts.Max(p => p.Length);
        var needsMask = parts.Any(p => p.AttentionMask is not null || p.Length != length);
        var maskType = parts.FirstOrDefault(p => p.AttentionMask is not null)?.AttentionMask!.dtype ?? ScalarType.Float32;

        using var scope = NewDisposeScope();
        var states = cat(parts.Select(p => PadSequence(p.HiddenStates, length)).ToList(), 0);
        Tensor? mask = null;
        if (needsMask)
        {
            mask = cat(parts.Select(p =>
            {
                var m = p.AttentionMask?.to_type(maskType) ?? ones(p.BatchSize, p.Length, dtype: maskType, device: p.HiddenStates.device);
                return PadSequence(m, length);
            }).ToList(), 0);
        }
        var spans = parts.All(p => p.Spans.Count == 0) ? null
            : parts.SelectMany(p => p.Spans.Count == p.BatchSize ? p.Spans
                : Enumerable.Repeat<IReadOnlyList<VisualSpan>>([], (int)p.BatchSize)).ToList();
        return new Conditioning(states.MoveToOuterDisposeScope(), mask?.MoveToOuterDisposeScope(), spans);
    }

    /// <summary>Each row repeated <paramref name="times"/> times in place (prompt 0, 0, 1, 1, ...), as diffusers
    /// repeats embeddings for num_images_per_prompt. New tensors: dispose the result.</summary>
    public Conditioning RepeatRows(int times)
    {
        if (times < 1) throw new ArgumentOutOfRangeException(nameof(times), $"times must be >= 1, got {times}");
        var spans = Spans.Count == 0 ? null : Spans.SelectMany(s => Enumerable.Repeat(s, times)).ToList();
        return new Conditioning(HiddenStates.repeat_interleave(times, 0), AttentionMask?.repeat_interleave(times, 0), spans);
    }

    /// <summary>[B, L, ...] -> [B, length, ...] with zeros after the sequence.</summary>
    private static Tensor PadSequence(Tensor t, long length)
    {
        if (t.shape[1] == length) return t.alias();
        long[] shape = [.. t.shape];
        shape[1] = length - t.shape[1];
        return cat([t, zeros(shape, dtype: t.dtype, device: t.device)], 1);
    }

    public void Dispose()
    {
        HiddenStates.Dispose();
        AttentionMask?.Dispose();
    }
}
