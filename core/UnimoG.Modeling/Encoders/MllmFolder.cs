using TorchSharp;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>Every config of a composite MLLM: the encoder's own plus each part's transformers config.</summary>
public sealed record MllmArchitecture(MllmConfig Encoder, ClipVisionConfig Vision, QFormerConfig? QFormer, LlamaConfig Llm)
{
    /// <summary>The vision feature width the adapter reads.</summary>
    public int VisionWidth => Vision.HiddenSize;

    /// <summary>Builds the three parts with fresh (random) weights; on the current default device.</summary>
    public (ClipVisionModel Vision, IVisualAdapter Adapter, LlamaForCausalLM Llm) BuildParts()
    {
        if (Encoder.Adapter == "qformer" && QFormer is null) throw new InvalidDataException("adapter \"qformer\" needs a Q-Former config");
        if (QFormer is not null && QFormer.EncoderHiddenSize != Vision.HiddenSize)
            throw new InvalidDataException($"qformer encoder_hidden_size ({QFormer.EncoderHiddenSize}) must equal the vision tower's hidden_size ({Vision.HiddenSize})");
        var vision = new ClipVisionModel(Vision);
        IVisualAdapter adapter = Encoder.Adapter == "qformer"
            ? new QFormerAdapter(QFormer!, Encoder.NumQueryTokens, Llm.HiddenSize)
            : new MlpAdapter(Vision.HiddenSize, Llm.HiddenSize, Encoder.ProjectorHiddenAct);
        return (vision, adapter, new LlamaForCausalLM(Llm));
    }
}

/// <summary>
/// The composite MLLM folder (docs/encoder.md):
/// <code>
/// encoder_config.json        MllmConfig
/// vision_model/              CLIPVisionModel folder (config.json + model.safetensors, keys vision_model.*)
/// qformer/                   Blip2QFormerModel folder (adapter "qformer" only)
/// projector/model.safetensors  query_tokens + language_projection.* (qformer) or multi_modal_projector.* (mlp)
/// language_model/            LlamaForCausalLM or LlamaModel folder
/// tokenizer/                 tokenizer.model (LLaMA SentencePiece)
/// </code>
/// Each part is strictly loaded; fp16/bf16-stored weights are computed in float32.
/// </summary>
public static class MllmFolder
{
    public static MllmArchitecture ReadArchitecture(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"MLLM folder not found: {folder}");
        var encoder = MllmConfig.Load(folder);
        var vision = ClipVisionConfig.Load(Path.Combine(folder, "vision_model"));
        var qformer = encoder.Adapter == "qformer" ? QFormerConfig.Load(Path.Combine(folder, "qformer")) : null;
        var llm = LlamaConfig.Load(Path.Combine(folder, "language_model"));
        return new MllmArchitecture(encoder, vision, qformer, llm);
    }

    /// <param name="arch">The folder's architecture when the caller has read it already (<see cref="ReadArchitecture"/>).</param>
    /// <param name="at">Where and in what precision the weights load (default: the thread's current placement).</param>
    public static MllmEncoder Load(string folder, ILlmTokenizer tokenizer, EmbeddingCache? cache = null, MllmArchitecture? arch = null, ModelPlacement? at = null)
    {
        arch ??= ReadArchitecture(folder);
        using var placement = (at ?? ModelPlacement.Current).Use();
        var vision = ClipVisionModel.FromPretrained(Path.Combine(folder, "vision_model"));
        nn.Module adapter;
        var projector = TensorSource.ForComponent(Path.Combine(folder, "projector"));
        if (arch.Encoder.Adapter == "qformer")
        {
            var q = new QFormerAdapter(arch.QFormer!, arch.Encoder.NumQueryTokens, arch.Llm.HiddenSize);
            q.qformer.LoadStrict(TensorSource.ForComponent(Path.Combine(folder, "qformer")));
            q.LoadStrict(projector, new LoadOptions { AllowMissing = k => k.StartsWith("qformer.", StringComparison.Ordinal) });
            adapter = q;
        }
        else
        {
            var m = new MlpAdapter(arch.VisionWidth, arch.Llm.HiddenSize, arch.Encoder.ProjectorHiddenAct);
            m.LoadStrict(projector);
            adapter = m;
        }
        var llm = LlamaForCausalLM.FromPretrained(Path.Combine(folder, "language_model"));
        return new MllmEncoder(arch.Encoder, vision, (IVisualAdapter)adapter, llm, tokenizer, cache);
    }

    /// <summary>Writes an encoder in this layout (float32 weights, or <paramref name="dtype"/>).</summary>
    public static void Save(MllmEncoder encoder, string folder, ScalarType dtype = ScalarType.Float32)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "encoder_config.json"), ConfigJson.Write(encoder.Config));
        WritePart(Path.Combine(folder, "vision_model"), encoder.Vision, ConfigJson.Write(encoder.Vision.Config), _ => true, dtype);
        var adapter = (nn.Module)encoder.Adapter;
        if (encoder.Adapter is QFormerAdapter q)
        {
            WritePart(Path.Combine(folder, "qformer"), q.qformer, ConfigJson.Write(q.qformer.Config), _ => true, dtype);
            WritePart(Path.Combine(folder, "projector"), adapter, null, k => !k.StartsWith("qformer.", StringComparison.Ordinal), dtype);
        }
        else
        {
            WritePart(Path.Combine(folder, "projector"), adapter, null, _ => true, dtype);
        }
        WritePart(Path.Combine(folder, "language_model"), encoder.Llm, ConfigJson.Write(encoder.Llm.Config), _ => true, dtype);
    }

    private static void WritePart(string dir, nn.Module module, string? config, Func<string, bool> keep, ScalarType dtype)
    {
        Directory.CreateDirectory(dir);
        if (config is not null) File.WriteAllText(Path.Combine(dir, "config.json"), config);
        using var scope = torch.NewDisposeScope();
        var tensors = module.state_dict().Where(kv => keep(kv.Key)).Select(kv => KeyValuePair.Create(kv.Key, kv.Value.to_type(dtype)));
        SafetensorsWriter.Save(Path.Combine(dir, "model.safetensors"), tensors);
    }
}
