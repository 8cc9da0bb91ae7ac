using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using UnimoG.Data.Config;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Encoders;
using UnimoG.Modeling.Images;
using UnimoG.Modeling.Sampling;
using UnimoG.Modeling.Schedulers;

namespace UnimoG.Modeling.Pipelines;

/// <summary>Which encoder turns prompts into conditions.</summary>
public enum EncoderKind
{
    /// <summary>A multimodal LLM folder <c>mllm/</c> (MllmFolder layout): interleaved text and images.</summary>
    Mllm,
    /// <summary>A CLIP text encoder <c>text_encoder/</c> + <c>tokenizer/</c> (Stable Diffusion style): text only.</summary>
    ClipText,
}

/// <summary>
/// A UNIMO-G model folder: a diffusers-style pipeline folder (docs/services.md).
/// <code>
/// model_index.json            _class_name UnimoGPipeline; components unet, vae, scheduler, mllm | text_encoder + tokenizer
/// unet/  vae/  scheduler/     diffusers component folders
/// mllm/                       MllmFolder layout (+ preprocessor_config.json; tokenizer/tokenizer.model or tokenizer_ref.json)
/// text_encoder/ tokenizer/    CLIP text encoder and its vocab.json + merges.txt (instead of mllm/)
/// preview.json                linear latent-to-RGB preview factors (optional)
/// UNTRAINED                   marker: random weights, outputs are noise (optional)
/// </code>
/// Opening reads configuration files only; each service loads the weights it needs.
/// </summary>
public sealed class ModelFolder
{
    public const string UntrainedMarker = "UNTRAINED";
    public const string TokenizerRefFile = "tokenizer_ref.json";
    /// <summary>Where the LLaMA-2 tokenizer sits beside a checkout (<c>../shared</c>), tried from every ancestor of the folder.</summary>
    public const string SharedLlamaTokenizer = "../shared/tokenizers/llama2/tokenizer.model";

    public string Path { get; }
    /// <summary>The folder's name, e.g. <c>unimog-mini</c>.</summary>
    public string Id { get; }
    public bool Untrained { get; }
    public EncoderKind Encoder { get; }
    public UNet2DConditionConfig UNet { get; }
    public AutoencoderKLConfig Vae { get; }
    public DdimSchedulerConfig Scheduler { get; }
    public MllmConfig? Mllm { get; }
    /// <summary>preview.json, or Stable Diffusion 1.5's public factors for an SD-shaped VAE; null when neither applies.</summary>
    public LatentPreviewFactors? Preview { get; }

    public int VaeScaleFactor => 1 << (Vae.BlockOutChannels.Count - 1);
    public int LatentChannels => Vae.LatentChannels;
    public int CrossAttentionDim => UNet.CrossAttentionDim.At(0);
    public int DefaultHeight => (UNet.SampleSize?.At(0) ?? 64) * VaeScaleFactor;
    public int DefaultWidth => (UNet.SampleSize?.At(UNet.SampleSize.Items is { Count: > 1 } ? 1 : 0) ?? 64) * VaeScaleFactor;
    /// <summary>Most images a prompt may hold: the MLLM's max_images; 0 for text-only encoders.</summary>
    public int MaxPromptImages => Mllm?.MaxImages ?? 0;

    /// <summary><c>unet/</c>, or the U-Net folder given to <see cref="Open"/> in its place (a training run's weights).</summary>
    public string UNetFolder { get; }
    public string VaeFolder => Combine("vae");
    public string SchedulerFolder => Combine("scheduler");
    public string MllmFolderPath => Combine("mllm");
    public string TextEncoderFolder => Combine("text_encoder");
    public string TokenizerFolder => Combine("tokenizer");

    private ModelFolder(string path, string? unetFolder)
    {
        Path = System.IO.Path.GetFullPath(path);
        UNetFolder = unetFolder is null ? Combine("unet") : System.IO.Path.GetFullPath(unetFolder);
        Id = System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(Path));
        Untrained = File.Exists(Combine(UntrainedMarker));
        UNet = Read(UNetFolder, "config.json", p => ConfigJson.Read<UNet2DConditionConfig>(p));
        Vae = Read(VaeFolder, "config.json", p => ConfigJson.Read<AutoencoderKLConfig>(p));
        Scheduler = Read(SchedulerFolder, "scheduler_config.json", DdimSchedulerConfig.Load);
        if (Directory.Exists(MllmFolderPath))
        {
            Encoder = EncoderKind.Mllm;
            Mllm = Read(MllmFolderPath, "encoder_config.json", _ => MllmConfig.Load(MllmFolderPath));
        }
        else if (Directory.Exists(TextEncoderFolder))
        {
            Encoder = EncoderKind.ClipText;
        }
        else
        {
            throw new ModelFolderException($"model folder {Path} has no encoder: expected mllm/ (multimodal LLM) or text_encoder/ + tokenizer/ (CLIP text)");
        }
        if (UNet.InChannels != Vae.LatentChannels)
            throw new ModelFolderException($"model folder {Path}: unet in_channels ({UNet.InChannels}) differs from the vae's latent_channels ({Vae.LatentChannels})");
        Preview = ReadPreview();
    }

    /// <summary>
    /// Opens and checks a model folder; everything wrong is a <see cref="ModelFolderException"/> naming the file.
    /// <paramref name="unetFolder"/> (Model:UNetPath) replaces its <c>unet/</c>, e.g. by a training run's weights.
    /// </summary>
    public static ModelFolder Open(string path, string? unetFolder = null)
    {
        if (!Directory.Exists(path))
            throw new ModelFolderException($"model folder not found: {System.IO.Path.GetFullPath(path)} (set Model:Path or --model; `unimog models init-placeholder --out DIR` makes an untrained one)");
        if (!File.Exists(System.IO.Path.Combine(path, "model_index.json")))
            throw new ModelFolderException($"{System.IO.Path.GetFullPath(path)} is not a model folder: model_index.json is missing");
        if (unetFolder is not null && !Directory.Exists(unetFolder))
            throw new ModelFolderException($"U-Net folder not found: {System.IO.Path.GetFullPath(unetFolder)}");
        return new ModelFolder(path, unetFolder);
    }

    /// <summary>What a service says about an untrained model, plainly.</summary>
    public string UntrainedWarning =>
        $"model '{Id}' is UNTRAINED (random weights, {System.IO.Path.Combine(Path, UntrainedMarker)}): images will be noise until the trained model replaces it";

    /// <summary>
    /// The LLaMA tokenizer for the MLLM: <paramref name="configured"/> (Model:TokenizerPath) when given; else
    /// <c>mllm/tokenizer/tokenizer.model</c>; else the path in <c>mllm/tokenizer/tokenizer_ref.json</c> (relative to
    /// the model folder); else <see cref="SharedLlamaTokenizer"/> from the folder's ancestors. The tokenizer is not
    /// stored in the repository (its licence is unclear), so shipped folders reference it.
    /// </summary>
    public string LlamaTokenizerPath(string? configured = null)
    {
        if (!string.IsNullOrWhiteSpace(configured))
            return File.Exists(configured) || Directory.Exists(configured) ? configured
                : throw new ModelFolderException($"Model:TokenizerPath names no file: {configured}");
        var dir = System.IO.Path.Combine(MllmFolderPath, "tokenizer");
        var inside = System.IO.Path.Combine(dir, "tokenizer.model");
        if (File.Exists(inside)) return inside;
        var tried = new List<string> { inside };
        string? sha = null;
        var refFile = System.IO.Path.Combine(dir, TokenizerRefFile);
        if (File.Exists(refFile))
        {
            var node = JsonNode.Parse(File.ReadAllText(refFile))!.AsObject();
            sha = node["sha256"]?.GetValue<string>();
            if (node["path"]?.GetValue<string>() is { Length: > 0 } rel)
            {
                var candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(Path, rel));
                if (File.Exists(candidate)) return Checked(candidate, sha, refFile);
                tried.Add(candidate);
            }
        }
        for (var d = new DirectoryInfo(Path); d is not null; d = d.Parent)
        {
            var candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(d.FullName, SharedLlamaTokenizer));
            if (File.Exists(candidate)) return Checked(candidate, sha, refFile);
        }
        tried.Add($"{SharedLlamaTokenizer} from every folder above {Path}");
        throw new ModelFolderException($"the LLaMA tokenizer of {Id} was not found (tried {string.Join(", ", tried)}): set Model:TokenizerPath to LLaMA-2's tokenizer.model");
    }

    /// <summary>The CLIP tokenizer: <paramref name="configured"/> when given (the .gz or a folder), else <c>tokenizer/</c>.</summary>
    public string ClipTokenizerPath(string? configured = null)
    {
        if (!string.IsNullOrWhiteSpace(configured))
            return File.Exists(configured) || Directory.Exists(configured) ? configured
                : throw new ModelFolderException($"Model:TokenizerPath names no file: {configured}");
        return Directory.Exists(TokenizerFolder) ? TokenizerFolder
            : throw new ModelFolderException($"model folder {Path} has text_encoder/ but no tokenizer/ (vocab.json + merges.txt); or set Model:TokenizerPath");
    }

    /// <summary>The MLLM's image preprocessing: <c>mllm/preprocessor_config.json</c>, else CLIP's at the tower's image size.</summary>
    public ClipImageProcessorConfig MllmImageProcessor()
    {
        var file = System.IO.Path.Combine(MllmFolderPath, "preprocessor_config.json");
        if (File.Exists(file)) return ConfigJson.Read<ClipImageProcessorConfig>(file);
        var size = ClipVisionConfig.Load(System.IO.Path.Combine(MllmFolderPath, "vision_model")).ImageSize;
        return ClipImageProcessorConfig.ForImageSize(size);
    }

    private static string Checked(string path, string? sha, string refFile)
    {
        if (sha is { Length: > 0 })
        {
            using var stream = File.OpenRead(path);
            var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!string.Equals(actual, sha, StringComparison.OrdinalIgnoreCase))
                throw new ModelFolderException($"{path}: SHA-256 {actual} differs from {sha} in {refFile}: a different tokenizer than the model was made with");
        }
        return path;
    }

    private LatentPreviewFactors? ReadPreview()
    {
        try
        {
            var own = LatentPreviewFactors.Load(Path);
            if (own is not null)
                return own.LatentChannels == Vae.LatentChannels ? own
                    : throw new ModelFolderException($"{Combine(LatentPreviewFactors.FileName)}: {own.LatentChannels} factor rows for {Vae.LatentChannels} latent channels");
        }
        catch (InvalidDataException e)
        {
            throw new ModelFolderException(e.Message, e);
        }
        // Stable Diffusion's VAE (4 channels, 0.18215, eight-fold): its public factors apply.
        return Vae.LatentChannels == 4 && Math.Abs(Vae.ScalingFactor - 0.18215) < 1e-6 && VaeScaleFactor == 8
            ? LatentPreviewFactors.StableDiffusion15 : null;
    }

    private string Combine(string part) => System.IO.Path.Combine(Path, part);

    private T Read<T>(string dir, string file, Func<string, T> read)
    {
        var path = System.IO.Path.Combine(dir, file);
        if (!File.Exists(path))
            throw new ModelFolderException(dir == UNetFolder && UNetFolder != Combine("unet") ? $"U-Net folder {dir} is missing {file}"
                : $"model folder {Path} is missing {System.IO.Path.GetRelativePath(Path, path)}");
        try
        {
            return read(path);
        }
        catch (ConfigException e)
        {
            throw new ModelFolderException(e.Message, e);   // it names the file already
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or KeyNotFoundException)
        {
            throw new ModelFolderException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>The <c>model_index.json</c> text of a folder with these components (diffusers' layout).</summary>
    public static string ModelIndexJson(EncoderKind encoder)
    {
        var index = new JsonObject
        {
            ["_class_name"] = "UnimoGPipeline",
            ["_diffusers_version"] = "0.31.0",
            ["scheduler"] = new JsonArray("diffusers", "DDIMScheduler"),
            ["unet"] = new JsonArray("diffusers", "UNet2DConditionModel"),
            ["vae"] = new JsonArray("diffusers", "AutoencoderKL"),
        };
        if (encoder == EncoderKind.Mllm)
            index["mllm"] = new JsonArray("unimog", "MllmEncoder");
        else
        {
            index["text_encoder"] = new JsonArray("transformers", "CLIPTextModel");
            index["tokenizer"] = new JsonArray("transformers", "CLIPTokenizer");
        }
        return index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
