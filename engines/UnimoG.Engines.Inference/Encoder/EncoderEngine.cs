using UnimoG.Data.Config;
using UnimoG.Modeling;
using UnimoG.Modeling.Encoders;
using UnimoG.Modeling.Images;
using UnimoG.Modeling.Pipelines;
using UnimoG.Text.Prompts;
using UnimoG.Text.Tokenizers;
using UnimoG.Engines.Telemetry;
using UnimoG.Engines;
using UnimoG.Client;
using UnimoG.Client.Torch;
using UnimoG.Contracts.Tensors;
using V1 = UnimoG.Contracts.V1;
using static TorchSharp.torch;

namespace UnimoG.Engines.Inference;

/// <summary>
/// The model folder's frozen encoder behind the contract: a validated prompt (images inline or uploaded) goes
/// through the MLLM (<c>mllm/</c>) or, for Stable-Diffusion-style folders, CLIP text (<c>text_encoder/</c>); results
/// are cached by content. Encodings run one at a time (<see cref="SerialWork"/>: queue "encoder", step and span "encode").
/// </summary>
public sealed class EncoderEngine : IDisposable
{
    private readonly SerialWork _work;
    private readonly MllmEncoder? _mllm;
    private readonly ClipImageProcessor? _processor;
    private readonly ClipTextConditioner? _clip;
    private readonly EmbeddingCache _cache;
    private readonly EncoderOptions _options;
    private readonly DecodeBudget _decoding;

    public ModelFolder Folder { get; }
    public V1.ModelInfo Info { get; }
    public PromptOptions PromptOptions { get; }
    public ImageStore Images { get; }
    /// <summary>Bytes of image decoding and preprocessing in flight (<see cref="EncoderOptions.ImageDecodeBytes"/>).</summary>
    public DecodeBudget Decoding => _decoding;

    private EncoderEngine(ModelFolder folder, EncoderOptions options, MllmEncoder? mllm, ClipImageProcessor? processor, ClipTextConditioner? clip, EmbeddingCache cache,
        UnimoGMetrics? metrics)
    {
        _work = new SerialWork("encoder", metrics, options.MaxQueue, $"{EncoderOptions.Section}:MaxQueue");
        Folder = folder;
        Info = ServedModel.Describe(folder);
        _mllm = mllm;
        _processor = processor;
        _clip = clip;
        _cache = cache;
        _options = options;
        Images = new ImageStore(options.UploadBytes);
        _decoding = new DecodeBudget(options.ImageDecodeBytes, $"{EncoderOptions.Section}:ImageDecodeBytes");
        PromptOptions = new PromptOptions
        {
            MaxImages = Math.Min(options.MaxPromptImages, folder.MaxPromptImages), ImageLimits = options.ImageLimits, Scaling = processor?.Scaling,
        };
    }

    /// <param name="metrics">The host's instruments (queue depth, encode latency), or null outside a host.</param>
    public static EncoderEngine Load(ModelFolder folder, EncoderOptions options, ModelOptions model, UnimoGMetrics? metrics = null)
    {
        if (model.Threads > 0) set_num_threads(model.Threads);
        var at = model.PlacementFor(options.Placement);
        var cache = new EmbeddingCache(options.CacheBytes);
        if (folder.Encoder == EncoderKind.Mllm)
        {
            var tokenizerPath = folder.LlamaTokenizerPath(model.TokenizerPath);
            var tokenizer = TextTokenizers.LoadLlama(tokenizerPath);
            // A tokenizer of another model (e.g. LLaMA-2's 32,000 pieces for a 2,048-piece LLM) fails here, not at the first request.
            var arch = MllmFolder.ReadArchitecture(folder.MllmFolderPath);
            var vocab = arch.Llm.VocabSize;
            if (tokenizer.VocabularySize > vocab)
                throw new ModelFolderException($"the tokenizer {tokenizerPath} has {tokenizer.VocabularySize} pieces, but the LLM of {folder.Id} has a vocabulary of {vocab}: "
                                               + "it is another model's tokenizer" + (model.TokenizerPath is null ? "" : " (Model:TokenizerPath overrides the folder's own; unset it)"));
            var mllm = MllmFolder.Load(folder.MllmFolderPath, tokenizer.ForMllm(), cache, arch, at);
            return new EncoderEngine(folder, options, mllm, new ClipImageProcessor(folder.MllmImageProcessor()), null, cache, metrics);
        }
        var clipTokenizer = TextTokenizers.LoadClip(folder.ClipTokenizerPath(model.TokenizerPath));
        var text = ClipTextModel.FromPretrained(folder.TextEncoderFolder, at: at);
        return new EncoderEngine(folder, options, null, null, new ClipTextConditioner(text, s => clipTokenizer.Encode(s)), cache, metrics);
    }

    /// <summary>
    /// Validates and encodes a request (<c>prompt</c>, or <c>unconditional</c>); faults name the field. The result is
    /// the condition as it goes on the wire (<see cref="TensorNames.HiddenStates"/>, <see cref="TensorNames.AttentionMask"/>).
    /// </summary>
    /// <param name="cancellation">The call's token: honoured while queued for the model and between the LLM's layers.</param>
    public WireConditioning Encode(V1.EncodeRequest request, CancellationToken cancellation = default)
    {
        var wireType = WireType(request.Datatype);
        var (cond, hit) = EncodeTorch(request, cancellation);
        using (cond)
            return ToWire(cond, hit, wireType);
    }

    private (Conditioning Condition, bool CacheHit) EncodeTorch(V1.EncodeRequest request, CancellationToken cancellation)
    {
        ModelInfos.CheckModel(request.Model, Folder.Id);
        if (request.Unconditional)
        {
            if (request.Prompt is { } p && (p.Parts.Count > 0 || p.Text.Length > 0 || p.Images.Count > 0))
                throw new InvalidFieldException("prompt", "must be empty when unconditional is set");
            return EncodeUnconditional();
        }
        if (_clip is not null && request.Prompt is { } text && (text.Images.Count > 0 || text.Parts.Any(x => x.KindCase == V1.PromptPart.KindOneofCase.Image)))
            throw new InvalidFieldException("prompt.images", $"model '{Folder.Id}' encodes text only (CLIP text encoder): remove the images");
        PromptConversion.CheckLength(request.Prompt, _options.MaxPromptChars, "Encoder:MaxPromptChars");
        cancellation.ThrowIfCancellationRequested();
        var field = request.Prompt is { Parts.Count: > 0 } ? "prompt.parts" : "prompt.text";
        MultimodalPrompt prompt;
        List<MllmPart>? parts = null;
        // Images are counted from their headers, then decoded and preprocessed within the budget, before the queue
        // for the model: what waits there is pixel_values of the tower's size.
        using (RequestImages.Admit([(request.Prompt, "prompt")], PromptOptions, Images, _options.MaxRequestImagePixels,
                   $"{EncoderOptions.Section}:MaxRequestImagePixels", _decoding, p => _processor?.WorkingBytes(p.DecodedHeight, p.DecodedWidth) ?? 0))
        {
            prompt = PromptConversion.ToMultimodal(request.Prompt, PromptOptions, Images);
            CheckLength(prompt, field);
            if (_mllm is not null) parts = prompt.ToMllmParts(_processor!);
        }
        return parts is null ? Encode(prompt, cancellation) : EncodeParts(parts, cancellation);
    }

    /// <summary>Refuses a prompt whose condition would be too long, counted by the tokenizer before any work.</summary>
    private void CheckLength(MultimodalPrompt prompt, string field)
    {
        if (_mllm is null) return;   // CLIP truncates to its 77 positions, as the reference pipelines do
        var length = _mllm.ConditionLength(prompt.Parts.Select(p => p is PromptPart.Text t ? t.Value : null));
        var positions = _mllm.Llm.Config.MaxPositionEmbeddings;
        var limit = Math.Min(_options.MaxPromptTokens, positions);
        if (length <= limit) return;
        var images = prompt.Parts.Count(p => p is PromptPart.Image);
        var with = images == 0 ? "" : $" with its {images} image(s) ({_mllm.TokensPerImage} visual tokens each)";
        var why = limit == positions ? $"the LLM's max_position_embeddings of model '{Folder.Id}'" : "Encoder:MaxPromptTokens";
        throw new InvalidFieldException(field, $"makes a condition of {length} tokens{with}; at most {limit} are accepted ({why}): shorten the text");
    }

    public (Conditioning Condition, bool CacheHit) Encode(MultimodalPrompt prompt, CancellationToken cancellation = default) =>
        _mllm is not null
            ? EncodeParts(prompt.ToMllmParts(_processor!), cancellation)
            : _work.Run("encode", () => ClipEncode(string.Concat(prompt.Parts.OfType<PromptPart.Text>().Select(t => t.Value)), _cache.Hits), cancellation);

    /// <summary>Preprocessed parts through the MLLM, one request at a time; their pixel values are freed however it ends.</summary>
    private (Conditioning Condition, bool CacheHit) EncodeParts(List<MllmPart> parts, CancellationToken cancellation)
    {
        try
        {
            return _work.Run("encode", () =>
            {
                var hits = _cache.Hits;
                var cond = _mllm!.Encode(parts, cancellation: cancellation);
                return (cond, _cache.Hits > hits);
            }, cancellation);
        }
        finally
        {
            foreach (var image in parts.OfType<MllmImage>().Distinct()) image.PixelValues.Dispose();
        }
    }

    public (Conditioning Condition, bool CacheHit) EncodeUnconditional() => _work.Run("encode", () =>
        {
            var hits = _cache.Hits;
            return _mllm is not null ? (_mllm.EncodeUnconditional(), _cache.Hits > hits) : ClipEncode("", hits);
        });

    /// <summary>SD-style: 77 tokens, no padding mask (all ones), as the reference pipelines feed the U-Net.</summary>
    private (Conditioning Condition, bool CacheHit) ClipEncode(string text, long hits)
    {
        var key = EmbeddingCache.Key("clip-text", Folder.Id, text);
        if (!_cache.TryGet(key, out var cached, out _))
        {
            using var encoded = _clip!.Encode([text]);
            _cache.Put(key, [encoded.HiddenStates]);
            cached = [encoded.HiddenStates.clone()];
        }
        var states = cached[0];
        return (new Conditioning(states, ones(1, states.shape[1], dtype: ScalarType.Int64, device: states.device)), _cache.Hits > hits);
    }

    /// <summary>A one-row condition as the contract carries it (mask as INT64, spans of row 0).</summary>
    private WireConditioning ToWire(Conditioning c, bool cacheHit, ScalarType? wireType)
    {
        var spans = c.Spans.Count == 0 ? [] : c.Spans[0].Select(VisualSpans.ToWire).ToList();
        using var states = wireType is { } t && t != c.HiddenStates.dtype ? c.HiddenStates.to_type(t) : c.HiddenStates.alias();
        var hidden = states.ToWire(TensorNames.HiddenStates);
        try
        {
            using var mask = c.AttentionMask!.to_type(ScalarType.Int64);
            return new WireConditioning(hidden, mask.ToWire(TensorNames.AttentionMask), spans, Folder.Id, cacheHit);
        }
        catch
        {
            hidden.Dispose();
            throw;
        }
    }

    /// <summary>The datatype a request asks for on the wire: null for the model's own.</summary>
    private static ScalarType? WireType(string datatype)
    {
        if (datatype.Length == 0) return null;
        if (TensorDataTypes.TryParse(datatype, out var t) && t.IsFloat() && t != TensorDataType.FP64) return TorchTensorStreams.ToScalarType(t);
        throw new InvalidFieldException("datatype", $"must be empty (the encoder's own), FP32, BF16 or FP16, got '{(datatype.Length > 20 ? datatype[..20] + "..." : datatype)}'");
    }

    public void Dispose()
    {
        _mllm?.Dispose();
        _clip?.Model.Dispose();
        _cache.Dispose();
    }
}
