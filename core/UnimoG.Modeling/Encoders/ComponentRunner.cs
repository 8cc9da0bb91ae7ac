using TorchSharp;
using UnimoG.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>
/// Runs one encoder component (at any <see cref="ModelPlacement"/>) on named input tensors and returns named float32
/// CPU outputs, transformers' names:
/// <c>last_hidden_state</c>, <c>pooler_output</c>, <c>hidden_states.0</c>.. . The <c>unimog component</c>
/// commands are thin wrappers; tests call the same code. A missing tensor or a wrong dtype/shape fails naming it.
/// </summary>
public static class ComponentRunner
{
    public static readonly string[] Kinds = ["clip-text", "clip-vision", "llama", "qformer"];

    /// <summary>Reads <paramref name="inputsPath"/>, runs the component in <paramref name="modelDir"/>, writes <paramref name="outputPath"/>.</summary>
    /// <returns>Input names the component does not use (the caller may warn).</returns>
    public static IReadOnlyList<string> RunFiles(string kind, string modelDir, string inputsPath, string outputPath, ModelPlacement? at = null)
    {
        using var scope = torch.NewDisposeScope();
        var inputs = ComponentInputs.Open(inputsPath);
        var outputs = Run(kind, modelDir, inputs, at);
        ComponentInputs.WriteOutputs(outputPath, outputs);
        return inputs.Unused;
    }

    /// <param name="at">Where and in what precision the model is loaded (default: the thread's current placement); the
    /// inputs are read as stored and cast at the model's entry, the outputs converted to float32 on the CPU.</param>
    public static Dictionary<string, Tensor> Run(string kind, string modelDir, ComponentInputs inputs, ModelPlacement? at = null)
    {
        using var _ = torch.no_grad();
        return kind switch
        {
            "clip-text" => ClipText(modelDir, inputs, at),
            "clip-vision" => ClipVision(modelDir, inputs, at),
            "llama" => Llama(modelDir, inputs, at),
            "qformer" => QFormer(modelDir, inputs, at),
            _ => throw new ArgumentException($"unknown component '{kind}'; known: {string.Join(", ", Kinds)}"),
        };
    }

    private static Dictionary<string, Tensor> ClipText(string dir, ComponentInputs inputs, ModelPlacement? at)
    {
        using var model = ClipTextModel.FromPretrained(dir, at: at);
        var ids = inputs.Ids("input_ids", model.Config.VocabSize, "B", "L");
        if (ids.shape[1] > model.Config.MaxPositionEmbeddings)
            throw new InvalidDataException($"input_ids has {ids.shape[1]} tokens; max_position_embeddings is {model.Config.MaxPositionEmbeddings}");
        var mask = inputs.OptionalMask("attention_mask", Dims(ids.shape));
        var o = model.forward(ids, mask);
        return Named(o.LastHiddenState, o.PoolerOutput, o.HiddenStates);
    }

    private static Dictionary<string, Tensor> ClipVision(string dir, ComponentInputs inputs, ModelPlacement? at)
    {
        using var model = ClipVisionModel.FromPretrained(dir, at: at);
        var c = model.Config;
        var px = inputs.Float("pixel_values", "B", $"{c.NumChannels}", $"{c.ImageSize}", $"{c.ImageSize}");
        var o = model.forward(px);
        return Named(o.LastHiddenState, o.PoolerOutput, o.HiddenStates);
    }

    private static Dictionary<string, Tensor> QFormer(string dir, ComponentInputs inputs, ModelPlacement? at)
    {
        using var model = Blip2QFormerModel.FromPretrained(dir, at: at);
        var c = model.Config;
        var q = inputs.Float("query_embeds", "B", "Q", $"{c.HiddenSize}");
        var image = inputs.Float("encoder_hidden_states", $"{q.shape[0]}", "L", $"{c.EncoderHiddenSize}");
        var mask = inputs.OptionalMask("attention_mask", Dims(q.shape[..2]));
        var imageMask = inputs.OptionalMask("encoder_attention_mask", Dims(image.shape[..2]));
        var o = model.forward(q, image, mask, imageMask);
        return Named(o.LastHiddenState, null, o.HiddenStates);
    }

    private static Dictionary<string, Tensor> Llama(string dir, ComponentInputs inputs, ModelPlacement? at)
    {
        using var lm = LlamaForCausalLM.FromPretrained(dir, at: at);
        var c = lm.Config;
        var hasIds = inputs.Has("input_ids");
        if (hasIds == inputs.Has("inputs_embeds"))
            throw new InvalidDataException(hasIds ? $"{inputs.Path}: give input_ids or inputs_embeds, not both" : $"{inputs.Path}: missing input tensor 'input_ids' (or 'inputs_embeds')");
        var ids = hasIds ? inputs.Ids("input_ids", c.VocabSize, "B", "L") : null;
        var embeds = hasIds ? null : inputs.Float("inputs_embeds", "B", "L", $"{c.HiddenSize}");
        var shape = ids?.shape ?? embeds!.shape[..2];
        var mask = inputs.OptionalMask("attention_mask", Dims(shape));
        var positions = inputs.Has("position_ids") ? inputs.Ids("position_ids", long.MaxValue, "B", $"{shape[1]}") : null;
        var o = lm.model.forward(ids, embeds, mask, positions, outputHiddenStates: true);
        return Named(o.LastHiddenState, null, o.HiddenStates);
    }

    /// <summary>Exact sizes as dimensions (a mask must match what it masks).</summary>
    private static string[] Dims(long[] shape) => shape.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static Dictionary<string, Tensor> Named(Tensor last, Tensor? pooled, IReadOnlyList<Tensor> states)
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["last_hidden_state"] = last.to(ScalarType.Float32, CPU) };
        if (pooled is not null) d["pooler_output"] = pooled.to(ScalarType.Float32, CPU);
        for (var i = 0; i < states.Count; i++) d[$"hidden_states.{i}"] = states[i].to(ScalarType.Float32, CPU);
        return d;
    }
}
