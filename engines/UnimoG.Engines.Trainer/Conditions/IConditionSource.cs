using UnimoG.Modeling;
using UnimoG.Engines.Trainer.Data;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Conditions;

/// <summary>One prompt to encode, with the sample key a cache or the Encoder service files it under.</summary>
public sealed record ConditionRequest(string Key, IReadOnlyList<PromptPiece> Prompt)
{
    public static ConditionRequest For(TrainingExample example, bool plain) =>
        new(example.ConditionKey(plain), plain || example.Multimodal is null ? [new PromptPiece.Text(example.Caption)] : example.Multimodal);
}

/// <summary>
/// Where the frozen condition tensors come from: the in-process encoder, a cache written by
/// <c>unimog encode-dataset</c>, or the Encoder service. Nothing here trains.
/// </summary>
public interface IConditionSource : IDisposable
{
    string Description { get; }

    /// <summary>Width D of the hidden states (the U-Net's cross_attention_dim).</summary>
    int Width { get; }

    /// <summary>The prompts as one batch: hidden states [B, L, D] (right-padded), key mask [B, L], visual spans per row.</summary>
    Conditioning Encode(IReadOnlyList<ConditionRequest> requests);

    /// <summary>The encoder's output for the empty prompt [1, L0, D]: condition dropout's target and guidance's negative.</summary>
    Conditioning Unconditional();
}

public static class ConditionBatch
{
    /// <summary>Row <paramref name="b"/> as its own conditioning (views of the batch; new handles, same memory).</summary>
    public static Conditioning Row(Conditioning c, int b) =>
        new(c.HiddenStates.narrow(0, b, 1), c.AttentionMask?.narrow(0, b, 1), c.Spans.Count > b ? [c.Spans[b]] : null);

    /// <summary>
    /// Classifier-free-guidance dropout: rows where <paramref name="drop"/> is true take the unconditional embedding
    /// (and lose their visual spans). Lengths are re-padded by <see cref="Conditioning.Concat"/>.
    /// </summary>
    public static Conditioning WithDropout(Conditioning cond, Conditioning uncond, IReadOnlyList<bool> drop)
    {
        if (!drop.Any(d => d)) return new Conditioning(cond.HiddenStates.alias(), cond.AttentionMask?.alias(), cond.Spans);
        using var scope = NewDisposeScope();
        var rows = new List<Conditioning>();
        for (var b = 0; b < drop.Count; b++)
            rows.Add(drop[b] ? new Conditioning(uncond.HiddenStates.alias(), uncond.AttentionMask?.alias(), [[]]) : Row(cond, b));
        var joined = Conditioning.Concat(rows);
        // Concat always yields a mask when lengths differ; keep it int64 like the encoders'.
        return new Conditioning(joined.HiddenStates.MoveToOuterDisposeScope(), joined.AttentionMask?.MoveToOuterDisposeScope(), joined.Spans);
    }
}
