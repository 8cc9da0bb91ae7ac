using TorchSharp;
using UnimoG.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>
/// Runs one encoder component on named input tensors and returns named float32 outputs, transformers' names:
/// <c>last_hidden_state</c>, <c>pooler_output</c>, <c>hidden_states.0</c>.. . The <c>unimog component</c>
/// commands are thin wrappers; tests call the same code. A missing tensor or a wrong dtype/shape fails naming it.
/// </summary>
public static class ComponentRunner
{
    public static readonly string[] Kinds = ["clip-text", "clip-vision", "llama", "qformer"];

    /// <summary>Reads <paramref name="inputsPath"/>, runs the component in <paramref name="modelDir"/>, writes <paramref name="outputPath"/>.</summary>
    /// <returns>Input names the component does not use (the caller may warn).</returns>
    public static IReadOnlyList<string> RunFiles(string kind, string modelDir, string inputsPath, string outputPath)
    {
        using var scope = torch.NewDisposeScope();
        var file = SafetensorsFile.Open(inputsPath);
        var inputs = new NamedInputs(file);
        var outputs = Run(kind, modelDir, inputs);
        SafetensorsWriter.Save(outputPath, outputs);
        return file.Entries.Keys.Where(k => !inputs.Used.Contains(k)).Order(StringComparer.Ordinal).ToList();
    }

    public static Dictionary<string, Tensor> Run(string kind, string modelDir, NamedInputs inputs)
    {
        using var _ = torch.no_grad();
        return kind switch
        {
            "clip-text" => ClipText(modelDir, inputs),
            "clip-vision" => ClipVision(modelDir, inputs),
            "llama" => Llama(modelDir, inputs),
            "qformer" => QFormer(modelDir, inputs),
            _ => throw new ArgumentException($"unknown component '{kind}'; known: {string.Join(", ", Kinds)}"),
        };
    }

    private static Dictionary<string, Tensor> ClipText(string dir, NamedInputs inputs)
    {
        using var model = ClipTextModel.FromPretrained(dir);
        var ids = inputs.Ids("input_ids", model.Config.VocabSize);
        if (ids.shape[1] > model.Config.MaxPositionEmbeddings)
            throw new InvalidDataException($"input_ids has {ids.shape[1]} tokens; max_position_embeddings is {model.Config.MaxPositionEmbeddings}");
        var mask = inputs.OptionalMask("attention_mask", ids.shape);
        var o = model.forward(ids, mask);
        return Named(o.LastHiddenState, o.PoolerOutput, o.HiddenStates);
    }

    private static Dictionary<string, Tensor> ClipVision(string dir, NamedInputs inputs)
    {
        using var model = ClipVisionModel.FromPretrained(dir);
        var c = model.Config;
        var px = inputs.Float("pixel_values", [-1, c.NumChannels, c.ImageSize, c.ImageSize]);
        var o = model.forward(px);
        return Named(o.LastHiddenState, o.PoolerOutput, o.HiddenStates);
    }

    private static Dictionary<string, Tensor> QFormer(string dir, NamedInputs inputs)
    {
        using var model = Blip2QFormerModel.FromPretrained(dir);
        var c = model.Config;
        var q = inputs.Float("query_embeds", [-1, -1, c.HiddenSize]);
        var image = inputs.Float("encoder_hidden_states", [q.shape[0], -1, c.EncoderHiddenSize]);
        var mask = inputs.OptionalMask("attention_mask", q.shape[..2]);
        var imageMask = inputs.OptionalMask("encoder_attention_mask", image.shape[..2]);
        var o = model.forward(q, image, mask, imageMask);
        return Named(o.LastHiddenState, null, o.HiddenStates);
    }

    private static Dictionary<string, Tensor> Llama(string dir, NamedInputs inputs)
    {
        using var lm = LlamaForCausalLM.FromPretrained(dir);
        var c = lm.Config;
        var hasIds = inputs.Has("input_ids");
        if (hasIds == inputs.Has("inputs_embeds"))
            throw new InvalidDataException(hasIds ? $"{inputs.Path}: give input_ids or inputs_embeds, not both" : $"{inputs.Path}: missing input tensor 'input_ids' (or 'inputs_embeds')");
        var ids = hasIds ? inputs.Ids("input_ids", c.VocabSize) : null;
        var embeds = hasIds ? null : inputs.Float("inputs_embeds", [-1, -1, c.HiddenSize]);
        var shape = ids?.shape ?? embeds!.shape[..2];
        var mask = inputs.OptionalMask("attention_mask", shape);
        var positions = inputs.Has("position_ids") ? inputs.Ids("position_ids", int.MaxValue, [-1, shape[1]]) : null;
        var o = lm.model.forward(ids, embeds, mask, positions, outputHiddenStates: true);
        return Named(o.LastHiddenState, null, o.HiddenStates);
    }

    private static Dictionary<string, Tensor> Named(Tensor last, Tensor? pooled, IReadOnlyList<Tensor> states)
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["last_hidden_state"] = last.to_type(ScalarType.Float32) };
        if (pooled is not null) d["pooler_output"] = pooled.to_type(ScalarType.Float32);
        for (var i = 0; i < states.Count; i++) d[$"hidden_states.{i}"] = states[i].to_type(ScalarType.Float32);
        return d;
    }
}

/// <summary>Input tensors by name with dtype and shape checks that name the offending tensor.</summary>
public sealed class NamedInputs(SafetensorsFile file)
{
    private static readonly HashSet<string> IntegerTypes = ["I64", "I32", "I16", "I8", "U8"];
    private static readonly HashSet<string> FloatTypes = ["F32", "F16", "BF16", "F64"];

    public HashSet<string> Used { get; } = new(StringComparer.Ordinal);
    public string Path => file.Path;
    public bool Has(string name) => file.Entries.ContainsKey(name);

    private SafetensorsEntry Entry(string name)
    {
        Used.Add(name);
        return file.Entries.TryGetValue(name, out var e)
            ? e
            : throw new InvalidDataException($"{file.Path}: missing input tensor '{name}'");
    }

    private void CheckShape(string name, long[] got, long[] want)
    {
        if (got.Length != want.Length || got.Zip(want).Any(p => p.Second >= 0 && p.First != p.Second) || got.Any(d => d == 0))
            throw new InvalidDataException(
                $"{file.Path}: input '{name}' has shape [{string.Join(", ", got)}], expected [{string.Join(", ", want.Select(w => w < 0 ? "*" : w.ToString()))}]");
    }

    /// <summary>An integer tensor [B, L] (or <paramref name="shape"/>) of ids in [0, <paramref name="vocab"/>), as int64.</summary>
    public Tensor Ids(string name, int vocab, long[]? shape = null)
    {
        var e = Entry(name);
        if (!IntegerTypes.Contains(e.DType))
            throw new InvalidDataException($"{file.Path}: input '{name}' must be an integer tensor (I64/I32), got {e.DType}");
        CheckShape(name, e.Shape, shape ?? [-1, -1]);
        var t = file.Read(name, ScalarType.Int64);
        if (t.NumberOfElements > 0 && (t.min().item<long>() < 0 || t.max().item<long>() >= vocab))
            throw new InvalidDataException($"{file.Path}: input '{name}' has ids outside [0, {vocab})");
        return t;
    }

    /// <summary>A floating tensor, computed in float32.</summary>
    public Tensor Float(string name, long[] shape)
    {
        var e = Entry(name);
        if (!FloatTypes.Contains(e.DType))
            throw new InvalidDataException($"{file.Path}: input '{name}' must be a floating tensor (F32/F16/BF16), got {e.DType}");
        CheckShape(name, e.Shape, shape);
        return file.Read(name, ScalarType.Float32);
    }

    /// <summary>An optional [B, L] 1/0 mask (integer, bool or float), as float32.</summary>
    public Tensor? OptionalMask(string name, long[] shape)
    {
        if (!Has(name)) return null;
        var e = Entry(name);
        if (!IntegerTypes.Contains(e.DType) && !FloatTypes.Contains(e.DType) && e.DType != "BOOL")
            throw new InvalidDataException($"{file.Path}: input '{name}' has unsupported dtype {e.DType}");
        CheckShape(name, e.Shape, shape);
        return file.Read(name, ScalarType.Float32);
    }
}
