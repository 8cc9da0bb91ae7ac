using TorchSharp;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>
/// Stable-Diffusion-style text conditioning with a CLIP text encoder: each prompt's ids (with start and end tokens)
/// truncated to <c>max_position_embeddings</c> (77) keeping the end token, padded with the end token, no attention
/// mask (as SD 1.x); the last hidden state, or with <c>clipSkip</c> = k the hidden state k layers earlier passed
/// through the final layer norm, as diffusers' <c>clip_skip</c>.
/// </summary>
public sealed class ClipTextConditioner(ClipTextModel model, Func<string, IReadOnlyList<int>> tokenizeWithSpecialTokens)
{
    public ClipTextModel Model { get; } = Frozen.Freeze(model);

    /// <summary>[B, 77] int64 ids on the CPU: truncated (end token kept last) and padded with the end token.</summary>
    public Tensor TokenIds(IReadOnlyList<string> prompts)
    {
        var length = Model.Config.MaxPositionEmbeddings;
        var end = Model.Config.EosTokenId;
        var rows = new long[prompts.Count, length];
        for (var i = 0; i < prompts.Count; i++)
        {
            var ids = tokenizeWithSpecialTokens(prompts[i]).Select(x => (long)x).ToList();
            if (ids.Count > length) ids = [.. ids.Take(length - 1), end];
            for (var j = 0; j < length; j++) rows[i, j] = j < ids.Count ? ids[j] : end;
        }
        return torch.tensor(rows, device: CPU); // the model moves them to its device
    }

    /// <summary>The hidden states [B, 77, D] in the model's dtype on its device (the caller converts).</summary>
    public Conditioning Encode(IReadOnlyList<string> prompts, int clipSkip = 0)
    {
        if (clipSkip < 0 || clipSkip >= Model.Config.NumHiddenLayers)
            throw new ArgumentOutOfRangeException(nameof(clipSkip), $"clip skip {clipSkip} must be in [0, {Model.Config.NumHiddenLayers})");
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var ids = TokenIds(prompts);
        using var output = Model.forward(ids);
        var hidden = clipSkip == 0
            ? output.LastHiddenState.clone()
            : Model.text_model.final_layer_norm.forward(output.HiddenStates[^(clipSkip + 1)]);
        return new Conditioning(hidden.MoveToOuterDisposeScope());
    }
}
