using UnimoG.Text.Prompts;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>
/// The frozen multimodal LLM encoder, MiniGPT-4's shape: vision tower -> adapter (Q-Former + projection, or MLP)
/// -> LLaMA. Each image becomes <c>&lt;Img&gt;</c> + its visual tokens + <c>&lt;/Img&gt;</c> (template configurable, the
/// markers tokenised as text); text is tokenised segment by segment with BOS only at the start; the LLM runs over
/// the spliced <c>inputs_embeds</c>; the condition is one hidden-state layer with its mask and the visual spans.
/// </summary>
public sealed class MllmEncoder : IDisposable
{
    public MllmConfig Config { get; }
    public ClipVisionModel Vision { get; }
    public IVisualAdapter Adapter { get; }
    public LlamaForCausalLM Llm { get; }
    public ILlmTokenizer Tokenizer { get; }
    public EmbeddingCache? Cache { get; }

    public MllmEncoder(MllmConfig config, ClipVisionModel vision, IVisualAdapter adapter, LlamaForCausalLM llm, ILlmTokenizer tokenizer, EmbeddingCache? cache = null)
    {
        Config = config;
        Vision = Frozen.Freeze(vision);
        Adapter = adapter;
        Frozen.Freeze((nn.Module)adapter);
        Llm = Frozen.Freeze(llm);
        Tokenizer = tokenizer;
        Cache = cache;
    }

    public int Width => Llm.Config.HiddenSize;
    public int TokensPerImage => Adapter.TokensPerImage(Vision.Config.NumPatches + (Config.VisionFeatureSelectStrategy == "full" ? 1 : 0));

    /// <summary>One image's visual tokens [N, D] in the LLM's embedding space, in the adapter's dtype on its device
    /// (cached by content hash). The pixels may be float32 on the CPU: the vision tower casts them at its entry.</summary>
    public Tensor VisualTokens(MllmImage image)
    {
        var key = EmbeddingCache.Key("image", Config.ModelId, image.ContentHash);
        if (Cache is not null && Cache.TryGet(key, out var hit, out _)) return hit[0];
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var px = image.PixelValues.dim() == 3 ? image.PixelValues.unsqueeze(0) : image.PixelValues;
        if (px.dim() != 4 || px.shape[0] != 1)
            throw new ArgumentException($"image {image.ContentHash}: pixel_values must be [3, H, W] or [1, 3, H, W], got [{string.Join(", ", image.PixelValues.shape)}]");
        using var vision = Vision.forward(px);
        var features = vision.HiddenStates[PyIndex(Config.VisionFeatureLayer, vision.HiddenStates.Count, "vision_feature_layer")];
        if (Config.VisionPostLayernorm) features = Vision.vision_model.post_layernorm.forward(features);
        if (Config.VisionFeatureSelectStrategy == "default") features = features[.., 1..];
        var tokens = Adapter.forward(features).squeeze(0); // [N, D]
        Cache?.Put(key, [tokens]);
        return tokens.MoveToOuterDisposeScope();
    }

    /// <summary>The prompt's input embeddings [L, D] and each image's visual-token span in them.</summary>
    public (Tensor Embeds, List<VisualSpan> Spans) Embed(IReadOnlyList<MllmPart> prompt, CancellationToken cancellation = default)
    {
        Validate(prompt);
        var (before, after) = Config.TemplateParts();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        // Text and visual tokens are spliced in the LLM's embedding dtype, on its device.
        var embedding = Llm.model.embed_tokens.weight!;
        var pieces = new List<Tensor>();
        var spans = new List<VisualSpan>();
        var text = new StringBuilder();
        var length = 0;
        var first = true;
        void FlushText()
        {
            var ids = new List<long>();
            if (first && Llm.Config.BosTokenId is { } bos) ids.Add(bos);
            first = false;
            if (text.Length > 0) ids.AddRange(Tokenizer.Encode(text.ToString()).Select(i => (long)i));
            text.Clear();
            if (ids.Count == 0) return;
            if (ids.Any(i => i < 0 || i >= Llm.Config.VocabSize))
                throw new ArgumentException($"the tokenizer produced ids outside the LLM's vocabulary [0, {Llm.Config.VocabSize})");
            pieces.Add(Llm.model.embed_tokens.forward(torch.tensor(ids.ToArray(), device: embedding.device)));
            length += ids.Count;
        }
        var imageIndex = 0;
        foreach (var part in prompt)
        {
            switch (part)
            {
                case MllmText t:
                    text.Append(t.Text);
                    break;
                case MllmImage image:
                    text.Append(before);
                    FlushText();
                    cancellation.ThrowIfCancellationRequested();
                    var tokens = VisualTokens(image);
                    spans.Add(new VisualSpan(imageIndex++, length, length + (int)tokens.shape[0]));
                    length += (int)tokens.shape[0];
                    pieces.Add(tokens.CastLike(embedding));
                    text.Append(after);
                    break;
            }
        }
        if (text.Length > 0 || first) FlushText();
        return (torch.cat(pieces, 0).MoveToOuterDisposeScope(), spans);
    }

    /// <summary>
    /// The condition length L <see cref="Embed"/> makes for these segments (a string is text, null an image), counted by
    /// the tokenizer alone: no image processed, no layer run. Callers bound a prompt's cost with it before any work.
    /// </summary>
    public int ConditionLength(IEnumerable<string?> segments)
    {
        var (before, after) = Config.TemplateParts();
        var text = new StringBuilder();
        var length = 0;
        var first = true;
        void Flush()
        {
            if (first && Llm.Config.BosTokenId is not null) length++;
            first = false;
            if (text.Length > 0) length += Tokenizer.Encode(text.ToString()).Count;
            text.Clear();
        }
        foreach (var segment in segments)
        {
            if (segment is not null) { text.Append(segment); continue; }
            text.Append(before);
            Flush();
            length += TokensPerImage;
            text.Append(after);
        }
        if (text.Length > 0 || first) Flush();
        return length;
    }

    /// <summary>One prompt's condition: hidden states [1, L, D] from <paramref name="layer"/> (default from the config), mask [1, L] and spans.</summary>
    public Conditioning Encode(IReadOnlyList<MllmPart> prompt, int? layer = null, CancellationToken cancellation = default) =>
        EncodeBatch([prompt], layer, cancellation);

    /// <summary>
    /// Several prompts right-padded into one batch: [B, Lmax, D] in the LLM's dtype on its device (the caller converts),
    /// mask [B, Lmax] (int64, 1 = token) on the same device, spans per row.
    /// </summary>
    /// <param name="cancellation">Checked before each image's vision tower and each LLM layer.</param>
    public Conditioning EncodeBatch(IReadOnlyList<IReadOnlyList<MllmPart>> prompts, int? layer = null, CancellationToken cancellation = default)
    {
        if (prompts.Count == 0) throw new ArgumentException("no prompts to encode");
        var chosen = layer ?? Config.ConditionLayer;
        PyIndex(chosen, Llm.Config.NumHiddenLayers + 1, "condition layer");
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var rows = new Tensor[prompts.Count];
        var spans = new IReadOnlyList<VisualSpan>[prompts.Count];
        var misses = new List<int>();
        var keys = prompts.Select(p => PromptKey(p, chosen)).ToArray();
        for (var i = 0; i < prompts.Count; i++)
        {
            if (Cache is not null && Cache.TryGet(keys[i], out var hit, out var hitSpans)) (rows[i], spans[i]) = (hit[0], hitSpans);
            else misses.Add(i);
        }
        if (misses.Count > 0)
        {
            var embedded = misses.Select(i => Embed(prompts[i], cancellation)).ToList();
            var lengths = embedded.Select(e => e.Embeds.shape[0]).ToArray();
            var max = lengths.Max();
            var embedding = Llm.model.embed_tokens.weight!;
            var embeds = torch.zeros(misses.Count, max, Width, embedding.dtype, embedding.device);   // [B, Lmax, D]
            var mask = torch.zeros(misses.Count, max, ScalarType.Int64, embedding.device);
            for (var j = 0; j < misses.Count; j++)
            {
                embeds[j, ..(int)lengths[j]] = embedded[j].Embeds;
                mask[j, ..(int)lengths[j]] = 1;
            }
            using var output = Llm.model.forward(inputsEmbeds: embeds, attentionMask: mask, outputHiddenStates: true, cancellation: cancellation);
            var states = output.HiddenStates[PyIndex(chosen, output.HiddenStates.Count, "condition layer")];
            for (var j = 0; j < misses.Count; j++)
            {
                var i = misses[j];
                rows[i] = states[j, ..(int)lengths[j]].clone();
                spans[i] = embedded[j].Spans;
                Cache?.Put(keys[i], [rows[i]], spans[i]);
            }
        }
        // Rows (computed or cached) are in the LLM's dtype on its device, and so is the padded batch.
        var longest = rows.Max(r => r.shape[0]);
        var hidden = torch.zeros(prompts.Count, longest, Width, rows[0].dtype, rows[0].device);           // [B, Lmax, D]
        var keyMask = torch.zeros(prompts.Count, longest, ScalarType.Int64, rows[0].device);
        for (var i = 0; i < rows.Length; i++)
        {
            hidden[i, ..(int)rows[i].shape[0]] = rows[i];
            keyMask[i, ..(int)rows[i].shape[0]] = 1;
        }
        return new Conditioning(hidden.MoveToOuterDisposeScope(), keyMask.MoveToOuterDisposeScope(), spans);
    }

    /// <summary>
    /// The unconditional condition of classifier-free guidance: the empty prompt, which is the BOS token alone
    /// ([1, 1, D], mask [1, 1]; prompts may not be empty, so this has its own entry point). Cached like a prompt.
    /// </summary>
    public Conditioning EncodeUnconditional(int? layer = null)
    {
        var chosen = layer ?? Config.ConditionLayer;
        var bos = Llm.Config.BosTokenId ?? throw new InvalidOperationException("the LLM has no bos_token_id: the empty prompt has no tokens");
        var key = EmbeddingCache.Key("unconditional", Config.ModelId, chosen.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var device = Llm.model.embed_tokens.weight!.device;
        if (Cache is null || !Cache.TryGet(key, out var hit, out _))
        {
            using var output = Llm.model.forward(inputsEmbeds: Llm.model.embed_tokens.forward(torch.tensor(new long[] { bos }, device: device)).unsqueeze(0),
                attentionMask: torch.ones(1, 1, ScalarType.Int64, device), outputHiddenStates: true);
            hit = [output.HiddenStates[PyIndex(chosen, output.HiddenStates.Count, "condition layer")][0].clone()];   // [1, D]
            Cache?.Put(key, hit);
        }
        return new Conditioning(hit[0].unsqueeze(0).MoveToOuterDisposeScope(), torch.ones(1, 1, ScalarType.Int64, hit[0].device).MoveToOuterDisposeScope(), [[]]);
    }

    /// <summary>Content key: model, layer, the prompt with adjacent text merged (NFC) and images by hash.</summary>
    private string PromptKey(IReadOnlyList<MllmPart> prompt, int layer)
    {
        var parts = new List<string> { "prompt", Config.ModelId, layer.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var text = new StringBuilder();
        foreach (var p in prompt)
        {
            if (p is MllmText t) { text.Append(t.Text); continue; }
            if (text.Length > 0) parts.Add("t:" + text.ToString().Normalize(NormalizationForm.FormC));
            text.Clear();
            parts.Add("i:" + ((MllmImage)p).ContentHash);
        }
        if (text.Length > 0) parts.Add("t:" + text.ToString().Normalize(NormalizationForm.FormC));
        return EmbeddingCache.Key(parts);
    }

    private void Validate(IReadOnlyList<MllmPart> prompt)
    {
        if (prompt.Count == 0 || prompt.All(p => p is MllmText { Text.Length: 0 }))
            throw new ArgumentException("the prompt is empty");
        var images = prompt.Count(p => p is MllmImage);
        if (images > Config.MaxImages)
            throw new ArgumentException($"the prompt has {images} images; at most {Config.MaxImages} are allowed (max_images)");
    }

    /// <summary>Python-style index (-1 = last) into a list of <paramref name="count"/>, failing with the setting's name.</summary>
    private static int PyIndex(int index, int count, string what)
    {
        var i = index < 0 ? count + index : index;
        return i >= 0 && i < count ? i : throw new ArgumentOutOfRangeException(what, $"{what} {index} is out of range for {count} hidden states");
    }

    public void Dispose()
    {
        Vision.Dispose();
        ((nn.Module)Adapter).Dispose();
        Llm.Dispose();
    }
}
