using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Data.Config;
using UnimoG.Mini.Data;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Text.Tokenizers;
using static TorchSharp.torch;

namespace UnimoG.Mini.Evaluators;

/// <summary>The CLIP-like evaluator: image tower, text tower and CLIP's learned <c>logit_scale</c> (log of 1 / temperature).</summary>
public sealed class ClipEvaluator : nn.Module
{
    public readonly ConvEncoder vision;
    public readonly TextEncoder text;
    public readonly Parameter logit_scale;

    public ClipEvaluator(ConvEncoderConfig image, TextEncoderConfig textConfig) : base(nameof(ClipEvaluator))
    {
        vision = new ConvEncoder(image);
        text = new TextEncoder(textConfig);
        logit_scale = nn.Parameter(torch.tensor(MathF.Log(1 / 0.07f)));
        RegisterComponents();
    }
}

/// <summary><c>evaluators.json</c>: the three networks' configs, the classifier's labels, how they were trained, their validation metrics.</summary>
public sealed record EvaluatorManifest : IValidatedConfig
{
    public const string FileName = "evaluators.json";
    public const string CurrentFormat = "emojibench-evaluators/1";

    [JsonPropertyName("format")] public string Format { get; init; } = CurrentFormat;
    [JsonPropertyName("dino")] public required ConvEncoderConfig Dino { get; init; }
    [JsonPropertyName("clip_image")] public required ConvEncoderConfig ClipImage { get; init; }
    [JsonPropertyName("clip_text")] public required TextEncoderConfig ClipText { get; init; }
    [JsonPropertyName("classifier")] public required ConvEncoderConfig Classifier { get; init; }
    /// <summary>The classifier's outputs: catalog hex codes, in output order.</summary>
    [JsonPropertyName("labels")] public required string[] Labels { get; init; }
    [JsonPropertyName("training")] public Dictionary<string, string> Training { get; init; } = [];
    [JsonPropertyName("metrics")] public Dictionary<string, double> Metrics { get; init; } = [];

    public void Validate(ConfigLocation at)
    {
        if (Format != CurrentFormat) throw at["format"].Error($"\"{Format}\" is not this format, \"{CurrentFormat}\"");
        Dino.Validate(at["dino"]);
        ClipImage.Validate(at["clip_image"]);
        ClipText.Validate(at["clip_text"]);
        Classifier.Validate(at["classifier"]);
    }
}

/// <summary>
/// EmojiBench's evaluator networks, trained on EmojiWorld's <c>all</c> split (held-out entities included: they must be
/// recognised) and never used by the generator: a SimCLR-trained image encoder for the DINO metric, a CLIP-like
/// image-text model for CLIP-I and CLIP-T, and a multi-label entity classifier for the recognition share. Folder:
/// <c>evaluators.json</c>, <c>dino.safetensors</c>, <c>clip.safetensors</c>, <c>classifier.safetensors</c> (F16,
/// loaded strictly into float32 modules), <c>tokenizer.model</c>, NOTICE.
/// </summary>
public sealed class EvaluatorSet : IDisposable
{
    public EvaluatorManifest Manifest { get; }
    public ConvEncoder Dino { get; }
    public ClipEvaluator Clip { get; }
    public ConvEncoder Classifier { get; }
    public LlamaSentencePieceTokenizer Tokenizer { get; }

    public EvaluatorSet(EvaluatorManifest manifest, ConvEncoder dino, ClipEvaluator clip, ConvEncoder classifier, LlamaSentencePieceTokenizer tokenizer)
    {
        if (classifier.Config.EmbedDim != manifest.Labels.Length)
            throw new InvalidDataException($"the classifier has {classifier.Config.EmbedDim} outputs for {manifest.Labels.Length} labels");
        (Manifest, Dino, Clip, Classifier, Tokenizer) = (manifest, dino, clip, classifier, tokenizer);
        foreach (var m in new nn.Module[] { dino, clip, classifier }) m.eval();
    }

    public static EvaluatorSet Load(string folder)
    {
        var path = Path.Combine(folder, EvaluatorManifest.FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder} holds no {EvaluatorManifest.FileName} (train the evaluators with `unimog mini train-evaluators`)", path);
        var manifest = ConfigJson.Read<EvaluatorManifest>(path);
        var dino = new ConvEncoder(manifest.Dino);
        var clip = new ClipEvaluator(manifest.ClipImage, manifest.ClipText);
        var classifier = new ConvEncoder(manifest.Classifier);
        dino.LoadStrict(TensorSource.FromFile(Path.Combine(folder, "dino.safetensors")));
        clip.LoadStrict(TensorSource.FromFile(Path.Combine(folder, "clip.safetensors")));
        classifier.LoadStrict(TensorSource.FromFile(Path.Combine(folder, "classifier.safetensors")));
        return new EvaluatorSet(manifest, dino, clip, classifier, TextTokenizers.LoadLlama(Path.Combine(folder, "tokenizer.model")));
    }

    public void Save(string folder, string tokenizerModel)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, EvaluatorManifest.FileName), ConfigJson.Write(Manifest));
        void Write(string name, nn.Module m)
        {
            using var scope = torch.NewDisposeScope();
            SafetensorsWriter.Save(Path.Combine(folder, name), m.state_dict().Select(kv => KeyValuePair.Create(kv.Key, kv.Value.to_type(ScalarType.Float16))));
        }
        Write("dino.safetensors", Dino);
        Write("clip.safetensors", Clip);
        Write("classifier.safetensors", Classifier);
        File.Copy(Directory.Exists(tokenizerModel) ? Path.Combine(tokenizerModel, "tokenizer.model") : tokenizerModel, Path.Combine(folder, "tokenizer.model"), overwrite: true);
        ModelNotice.WriteTo(folder, "EmojiBench evaluator networks (DINO-like, CLIP-like, entity classifier) of the UNIMO-G services project.");
    }

    /// <summary>64x64 RGB images (uint8 [B, 3, 64, 64]) as the networks take them.</summary>
    public static Tensor Pixels(Tensor uint8) => Images.ClipPixels(uint8);

    /// <summary>DINO-metric features [B, E] (not normalised) of uint8 images [B, 3, 64, 64].</summary>
    public Tensor DinoFeatures(Tensor uint8) => Run(() => Dino.forward(Pixels(uint8)));

    public Tensor ClipImageFeatures(Tensor uint8) => Run(() => Clip.vision.forward(Pixels(uint8)));

    public Tensor ClipTextFeatures(IReadOnlyList<string> texts) => Run(() =>
    {
        var (ids, mask) = Clip.text.Tokenize(Tokenizer, texts);
        return Clip.text.forward(ids, mask);
    });

    /// <summary>Per-label probabilities [B, labels] (sigmoid) of uint8 images.</summary>
    public Tensor Recognise(Tensor uint8) => Run(() => torch.sigmoid(Classifier.forward(Pixels(uint8))));

    private static Tensor Run(Func<Tensor> f)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return f().MoveToOuterDisposeScope();
    }

    public int LabelIndex(string hex)
    {
        var i = Array.FindIndex(Manifest.Labels, l => string.Equals(l, hex, StringComparison.OrdinalIgnoreCase));
        return i >= 0 ? i : throw new KeyNotFoundException($"entity {hex} is not among the classifier's {Manifest.Labels.Length} labels");
    }

    public void Dispose()
    {
        Dino.Dispose();
        Clip.Dispose();
        Classifier.Dispose();
    }
}
