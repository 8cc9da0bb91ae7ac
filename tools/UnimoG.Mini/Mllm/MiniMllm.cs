using TorchSharp;
using UnimoG.Modeling.Encoders;
using static TorchSharp.torch;

namespace UnimoG.Mini.Mllm;

/// <summary>
/// The MLLM while it trains: vision tower, adapter and LLaMA with gradients, computing visual tokens exactly as
/// <see cref="MllmEncoder.VisualTokens"/> does (same feature layer, post-layernorm and class-token choice), batched.
/// Its state dict is <c>vision.*</c>, <c>adapter.*</c>, <c>llm.*</c> (checkpoints only; the shipped folder is
/// <see cref="MllmFolder"/>'s layout).
/// </summary>
public sealed class MiniMllm : nn.Module
{
    public MllmArchitecture Architecture { get; }
    public readonly ClipVisionModel vision;
    public readonly nn.Module adapter;
    public readonly LlamaForCausalLM llm;

    public MiniMllm(MllmArchitecture architecture, Generator init) : base(nameof(MiniMllm))
    {
        Architecture = architecture;
        var (v, a, l) = architecture.BuildParts();
        vision = v;
        adapter = (nn.Module)a;
        llm = l;
        RegisterComponents();
        Training.Optimizers.InitTransformer(this, init);
    }

    public IVisualAdapter Bridge => (IVisualAdapter)adapter;
    public int Width => Architecture.Llm.HiddenSize;
    public int TokensPerImage => Bridge.TokensPerImage(Architecture.Vision.NumPatches + (Architecture.Encoder.VisionFeatureSelectStrategy == "full" ? 1 : 0));

    /// <summary>CLIP pixel values [N, 3, 64, 64] to visual tokens [N, Q, D] in the LLM's embedding space.</summary>
    public Tensor VisualTokens(Tensor pixels) => VisualTokens(vision, Bridge, Architecture.Encoder, pixels);

    /// <summary>What <see cref="MllmEncoder.VisualTokens"/> computes, for a batch and with gradients when enabled.</summary>
    public static Tensor VisualTokens(ClipVisionModel vision, IVisualAdapter adapter, MllmConfig c, Tensor pixels)
    {
        using var scope = torch.NewDisposeScope();
        var output = vision.forward(pixels);
        var layer = c.VisionFeatureLayer < 0 ? output.HiddenStates.Count + c.VisionFeatureLayer : c.VisionFeatureLayer;
        var features = output.HiddenStates[layer];
        if (c.VisionPostLayernorm) features = vision.vision_model.post_layernorm.forward(features);
        if (c.VisionFeatureSelectStrategy == "default") features = features[.., 1..];
        return adapter.forward(features).MoveToOuterDisposeScope();                            // [N, Q, D]
    }

    /// <summary>The batch's input embeddings [B, L, D]: token embeddings with the visual tokens [N, Q, D] spliced in.</summary>
    public static Tensor Embeds(LlamaForCausalLM llm, MllmBatch batch, Tensor? visual)
    {
        using var scope = torch.NewDisposeScope();
        var (b, l, d) = (batch.InputIds.shape[0], batch.InputIds.shape[1], (long)llm.Config.HiddenSize);
        var text = llm.model.embed_tokens.forward(batch.InputIds);                            // [B, L, D]
        if (batch.ImageCount == 0 || visual is null) return text.MoveToOuterDisposeScope();
        return text.view(b * l, d).index_copy(0, batch.VisualPositions, visual.reshape(-1, d)).view(b, l, d).MoveToOuterDisposeScope();
    }

    /// <summary>Logits [B, L, V] of the batch, given its visual tokens.</summary>
    public Tensor Logits(MllmBatch batch, Tensor? visual)
    {
        using var scope = torch.NewDisposeScope();
        var output = llm.model.forward(inputsEmbeds: Embeds(llm, batch, visual), attentionMask: batch.AttentionMask);
        return llm.Logits(output.LastHiddenState).MoveToOuterDisposeScope();
    }
}
