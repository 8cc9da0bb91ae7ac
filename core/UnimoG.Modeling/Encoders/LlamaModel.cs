using UnimoG.Modeling.Diffusion;
using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>transformers' <c>LlamaModel</c>: <c>embed_tokens</c>, <c>layers.N.*</c>, <c>norm</c>.</summary>
public sealed class LlamaModel : nn.Module
{
    public LlamaConfig Config { get; }
    public readonly Embedding embed_tokens;
    public readonly ModuleList<LlamaDecoderLayer> layers;
    public readonly LlamaRmsNorm norm;

    public LlamaModel(LlamaConfig config) : base(nameof(LlamaModel))
    {
        Config = config;
        embed_tokens = Layers.Embedding(config.VocabSize, config.HiddenSize);
        layers = new ModuleList<LlamaDecoderLayer>(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new LlamaDecoderLayer(config, i)).ToArray());
        norm = new LlamaRmsNorm(config.HiddenSize, config.RmsNormEps);
        RegisterComponents();
    }

    /// <param name="inputIds">[B, L] or null when <paramref name="inputsEmbeds"/> is given</param>
    /// <param name="inputsEmbeds">[B, L, D] or null</param>
    /// <param name="attentionMask">[B, past + L]: 1 = token, 0 = padding (left or right); null = all tokens</param>
    /// <param name="positionIds">[B or 1, L]; null = past..past+L-1 for every row, as transformers 4.37's LlamaModel</param>
    /// <param name="cancellation">Checked before every layer: a cancelled caller stops within one layer's time.</param>
    /// <remarks>Floating inputs are cast to the weights' dtype and device, ids and masks moved there; the hidden states
    /// come back in the weights' dtype (the caller converts).</remarks>
    public TransformerOutput forward(Tensor? inputIds = null, Tensor? inputsEmbeds = null, Tensor? attentionMask = null,
                               Tensor? positionIds = null, LlamaKvCache? cache = null, bool outputHiddenStates = false,
                               CancellationToken cancellation = default)
    {
        if ((inputIds is null) == (inputsEmbeds is null))
            throw new ArgumentException("give exactly one of input_ids and inputs_embeds");
        using var scope = torch.NewDisposeScope();
        // The model's entry: embeddings in the weights' dtype on their device; ids, mask and positions moved there.
        var weight = embed_tokens.weight!;
        var x = inputsEmbeds?.CastLike(weight) ?? embed_tokens.forward(inputIds!.OnDeviceOf(weight));
        var (b, l) = (x.shape[0], x.shape[1]);
        var past = cache?.Length ?? 0;
        if (x.shape[2] != Config.HiddenSize)
            throw new ArgumentException($"inputs_embeds must be [B, L, {Config.HiddenSize}], got [{string.Join(", ", x.shape)}]");
        if (attentionMask is not null && (attentionMask.dim() != 2 || attentionMask.shape[0] != b || attentionMask.shape[1] != past + l))
            throw new ArgumentException($"attention_mask must be [{b}, {past + l}], got [{string.Join(", ", attentionMask.shape)}]");
        var positions = positionIds?.OnDeviceOf(weight) ?? torch.arange(past, past + l, ScalarType.Int64, x.device).unsqueeze(0);
        var (cos, sin) = LlamaRotary.CosSin(positions, Config.HeadDim, Config.RopeTheta, x.dtype);
        var mask = BuildMask(attentionMask?.OnDeviceOf(weight), b, l, past, x.dtype, x.device);

        var states = new List<Tensor>();
        var h = x;
        foreach (var layer in layers)
        {
            cancellation.ThrowIfCancellationRequested();
            if (outputHiddenStates) states.Add(h);
            h = layer.forward(h, cos, sin, mask, cache);
        }
        h = norm.forward(h);
        if (outputHiddenStates) states.Add(h);
        foreach (var s in states) s.MoveToOuterDisposeScope();
        return new TransformerOutput(h.alias().MoveToOuterDisposeScope(), states);
    }

    /// <summary>transformers 4.37's <c>_prepare_4d_causal_attention_mask</c>: [B, 1, L, past + L] of 0 / finfo(dtype).min.</summary>
    private static Tensor? BuildMask(Tensor? attentionMask, long b, long l, long past, ScalarType dtype, Device device)
    {
        var causal = l > 1 ? AttentionMasks.Causal(b, l, past, dtype, device) : null;
        if (attentionMask is null) return causal;
        var padding = AttentionMasks.Padding(attentionMask, l, dtype);
        return causal is null ? padding : causal.masked_fill(padding.ne(0), Compute.MinOf(dtype));
    }
}

/// <summary>
/// transformers' <c>LlamaForCausalLM</c>: <c>model.*</c> plus <c>lm_head</c> (absent from the checkpoint when
/// tied to the input embeddings). Loads plain <c>LlamaModel</c> checkpoints (no <c>model.</c> prefix) too.
/// </summary>
public sealed class LlamaForCausalLM : nn.Module
{
    public LlamaConfig Config { get; }
    public readonly LlamaModel model;
    public readonly Linear? lm_head;

    public LlamaForCausalLM(LlamaConfig config, bool withHead = true) : base(nameof(LlamaForCausalLM))
    {
        Config = config;
        model = new LlamaModel(config);
        if (withHead && !config.TieWordEmbeddings) lm_head = Layers.Linear(config.HiddenSize, config.VocabSize, bias: false);
        RegisterComponents();
    }

    public bool HasHead => lm_head is not null || Config.TieWordEmbeddings;

    /// <summary>[B, L, V] logits from hidden states, in the model's dtype.</summary>
    public Tensor Logits(Tensor hidden)
    {
        var weight = lm_head?.weight ?? model.embed_tokens.weight!;
        using var h = hidden.CastLike(weight);
        if (lm_head is not null) return lm_head.forward(h);
        if (Config.TieWordEmbeddings) return torch.nn.functional.linear(h, weight);
        throw new InvalidOperationException("this LLaMA was loaded without lm_head (a LlamaModel checkpoint): it cannot generate");
    }

    /// <summary>
    /// Loads a transformers LLaMA folder: LlamaForCausalLM keys (<c>model.*</c>, <c>lm_head.weight</c>) or LlamaModel
    /// keys (no prefix, no head). <c>rotary_emb.inv_freq</c> (older checkpoints) is ignored; computed here.
    /// </summary>
    public static LlamaForCausalLM FromPretrained(string folder, string? variant = null, ModelPlacement? at = null)
    {
        var config = LlamaConfig.Load(folder);
        var source = TensorSource.ForComponent(folder, variant);
        var prefixed = source.Names.Any(n => n.StartsWith("model.", StringComparison.Ordinal));
        var hasHead = source.Contains("lm_head.weight");
        var lm = Pretrained.Load(() => new LlamaForCausalLM(config, withHead: prefixed || hasHead), source, new LoadOptions
        {
            Rename = prefixed || hasHead ? null : n => "model." + n,
            // A tied head stored anyway is the embedding matrix again: transformers ties it, so do we.
            IgnoreUnexpected = n => n.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal) || (config.TieWordEmbeddings && n == "lm_head.weight"),
        }, at);
        Frozen.Freeze(lm);
        return lm;
    }
}
