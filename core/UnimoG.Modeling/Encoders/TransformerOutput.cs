using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>
/// What LLaMA and the Q-Former return: the last hidden state and transformers' <c>hidden_states</c> tuple (the
/// embeddings, or the embedding layernorm output, then each layer's output; for LLaMA the last entry is normed).
/// The caller owns and disposes them.
/// </summary>
public sealed record TransformerOutput(Tensor LastHiddenState, IReadOnlyList<Tensor> HiddenStates) : IDisposable
{
    public void Dispose()
    {
        LastHiddenState.Dispose();
        foreach (var h in HiddenStates) h.Dispose();
    }
}
