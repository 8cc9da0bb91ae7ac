using TorchSharp;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>The MLLM's named configurations and their parameter counts (built on the meta device: no weights allocated).</summary>
public static class MllmConfigs
{
    /// <summary>
    /// The paper's encoder, MiniGPT-4's shape: LLaMA-7B (4096 wide, 32 layers, 32 heads, MLP 11008, vocabulary 32000),
    /// a ViT-g/14-size vision tower (EVA-CLIP-g's width 1408, 39 layers, 16 heads, MLP 6144, patch 14, 224 px),
    /// a 32-query BERT-base-size Q-Former (cross-attention every 2 layers) and a 768 -> 4096 projection.
    /// </summary>
    public static MllmArchitecture Paper { get; } = new(
        new MllmConfig { ModelId = "paper-mllm", Adapter = "qformer", NumQueryTokens = 32, VisionFeatureLayer = -1, VisionPostLayernorm = true },
        new ClipVisionConfig { HiddenSize = 1408, IntermediateSize = 6144, NumHiddenLayers = 39, NumAttentionHeads = 16, PatchSize = 14, ImageSize = 224, HiddenAct = "gelu", LayerNormEps = 1e-6 },
        new QFormerConfig { HiddenSize = 768, NumHiddenLayers = 12, NumAttentionHeads = 12, IntermediateSize = 3072, CrossAttentionFrequency = 2, EncoderHiddenSize = 1408 },
        new LlamaConfig { VocabSize = 32000, HiddenSize = 4096, IntermediateSize = 11008, NumHiddenLayers = 32, NumAttentionHeads = 32, NumKeyValueHeads = 32, MaxPositionEmbeddings = 2048, RmsNormEps = 1e-6 });

    /// <summary>A few-KB MLLM for tests (Q-Former adapter, grouped-query attention).</summary>
    public static MllmArchitecture Tiny { get; } = new(
        new MllmConfig { ModelId = "tiny-mllm", Adapter = "qformer", NumQueryTokens = 4, MaxImages = 8 },
        new ClipVisionConfig { HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, PatchSize = 4, ImageSize = 16 },
        new QFormerConfig { HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 32, CrossAttentionFrequency = 2, EncoderHiddenSize = 16 },
        new LlamaConfig { VocabSize = 64, HiddenSize = 24, IntermediateSize = 40, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 128 });

    /// <summary>The tiny MLLM with LLaVA's MLP projector and penultimate-layer features without the class token.</summary>
    public static MllmArchitecture TinyMlp { get; } = Tiny with
    {
        Encoder = Tiny.Encoder with { ModelId = "tiny-mllm-mlp", Adapter = "mlp", VisionFeatureLayer = -2, VisionFeatureSelectStrategy = "default", VisionPostLayernorm = false },
        QFormer = null,
    };

    public static IReadOnlyDictionary<string, MllmArchitecture> Named { get; } = new Dictionary<string, MllmArchitecture>(StringComparer.Ordinal)
    {
        ["paper-mllm"] = Paper,
        ["tiny-mllm"] = Tiny,
        ["tiny-mllm-mlp"] = TinyMlp,
        ["placeholder-mllm"] = Configs.PlaceholderConfigs.Mllm,
    };

    public static MllmArchitecture Get(string name) =>
        Named.TryGetValue(name, out var a) ? a : throw new KeyNotFoundException($"unknown MLLM config '{name}'; known: {string.Join(", ", Named.Keys)}");

    /// <summary>
    /// Parameter counts of the modules as built (vision tower, adapter, LLM including lm_head), constructed on the
    /// meta device (<see cref="ModelPlacement"/>): shapes only, no memory for weights.
    /// </summary>
    public static IReadOnlyDictionary<string, long> CountParameters(MllmArchitecture arch)
    {
        using var meta = new ModelPlacement(torch.META, ScalarType.Float32).Use();
        var (vision, adapter, llm) = arch.BuildParts();
        using var v = vision;
        using var a = (nn.Module)adapter;
        using var l = llm;
        if (new[] { v, a, l }.SelectMany(m => m.parameters()).Any(p => p.device_type != DeviceType.META))
            throw new InvalidOperationException("parameters were allocated off the meta device");
        static long Count(nn.Module m) => m.parameters().Sum(p => p.numel());
        var counts = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            ["vision_model"] = Count(v),
            ["adapter"] = Count(a),
            ["language_model"] = Count(l.model),
            ["lm_head"] = l.lm_head is null ? 0 : Count(l.lm_head),
        };
        counts["total"] = counts.Values.Sum();
        return counts;
    }
}
