using System.Globalization;
using UnimoG.Modeling.Encoders;

namespace UnimoG.Cli;

/// <summary>What <c>unimog models info</c> prints for the MLLM encoder configurations (paper-mllm, tiny-mllm, tiny-mllm-mlp).</summary>
internal static class MllmModelsInfo
{
    public static IEnumerable<string> Names => MllmConfigs.Named.Keys;

    /// <summary>The description of <paramref name="name"/>, or null when it is not an MLLM config.</summary>
    public static string? TryDescribe(string name)
    {
        if (!MllmConfigs.Named.TryGetValue(name, out var a)) return null;
        return Describe(name, a);
    }

    /// <summary>The MLLM of <paramref name="a"/>, its parts and their parameter counts, under <paramref name="name"/>.</summary>
    public static string Describe(string name, MllmArchitecture a)
    {
        var counts = MllmConfigs.CountParameters(a); // on the meta device: nothing allocated
        static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
        var v = a.Vision;
        var l = a.Llm;
        var adapter = a.QFormer is { } q
            ? $"Q-Former {q.NumHiddenLayers} layers x {q.HiddenSize} ({q.NumAttentionHeads} heads, MLP {q.IntermediateSize}, cross-attention every {q.CrossAttentionFrequency} to {q.EncoderHiddenSize}), {a.Encoder.NumQueryTokens} queries, projection {q.HiddenSize} -> {l.HiddenSize}"
            : $"MLP projector {v.HiddenSize} -> {l.HiddenSize} -> {l.HiddenSize} ({a.Encoder.ProjectorHiddenAct})";
        return string.Join(Environment.NewLine,
            $"{name}: multimodal LLM encoder (MiniGPT-4 shape)",
            $"  vision_model    CLIP ViT {v.NumHiddenLayers} layers x {v.HiddenSize} ({v.NumAttentionHeads} heads, MLP {v.IntermediateSize}), patch {v.PatchSize}, image {v.ImageSize}: {N(counts["vision_model"])} parameters",
            $"  adapter         {adapter}: {N(counts["adapter"])} parameters",
            $"  language_model  LLaMA {l.NumHiddenLayers} layers x {l.HiddenSize} ({l.NumAttentionHeads} heads, {l.NumKeyValueHeads} kv heads, MLP {l.IntermediateSize}), vocabulary {l.VocabSize}: {N(counts["language_model"])} parameters (+ lm_head {N(counts["lm_head"])})",
            $"  visual tokens   {v.NumPatches + (a.Encoder.VisionFeatureSelectStrategy == "full" ? 1 : 0)} vision features -> {(a.QFormer is null ? v.NumPatches + (a.Encoder.VisionFeatureSelectStrategy == "full" ? 1 : 0) : a.Encoder.NumQueryTokens)} LLM tokens per image, template \"{a.Encoder.ImageTemplate}\"",
            $"  condition       [1, L, {l.HiddenSize}] from hidden state {a.Encoder.ConditionLayer}",
            $"  total           {N(counts["total"])} parameters (counted on the meta device, no weights allocated)");
    }
}
