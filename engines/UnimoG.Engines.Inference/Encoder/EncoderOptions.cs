using UnimoG.Data.Config;
using UnimoG.Imaging;

namespace UnimoG.Engines.Inference;

/// <summary>Section <c>Encoder</c>: caches and limits of the encoder service.</summary>
public sealed class EncoderOptions : IValidatedOptions
{
    public const string Section = "Encoder";

    /// <summary>Byte budget of the condition cache (whole prompts and single images' visual tokens).</summary>
    public long CacheBytes { get; set; } = 256L << 20;

    /// <summary>Byte budget of uploaded images kept for reference by SHA-256.</summary>
    public long UploadBytes { get; set; } = 256L << 20;

    /// <summary>Most images in one prompt (the model's own max_images applies too).</summary>
    public int MaxPromptImages { get; set; } = 8;

    /// <summary>Longest prompt text in characters, checked before tokenizing (the gateway's Generation:MaxPromptChars).</summary>
    public int MaxPromptChars { get; set; } = 2000;

    /// <summary>
    /// Longest condition in tokens (text, image markers and visual tokens), counted by the tokenizer before any layer
    /// runs; the LLM's max_position_embeddings bounds it too. Keep it at most the denoiser's Denoiser:MaxConditionTokens.
    /// </summary>
    public int MaxPromptTokens { get; set; } = 4096;

    public long MaxImageBytes { get; set; } = ImageLimits.Default.MaxBytes;
    public int MaxImageSide { get; set; } = ImageLimits.Default.MaxSide;
    public long MaxImagePixels { get; set; } = ImageLimits.Default.MaxPixels;

    public ImageLimits ImageLimits => new() { MaxBytes = MaxImageBytes, MaxSide = MaxImageSide, MaxPixels = MaxImagePixels };

    /// <summary>
    /// Most pixels the headers of one request's images may declare, counted before any is decoded: what decoding reads,
    /// however small the result (default 64 M: four 4000x4000 images).
    /// </summary>
    public long MaxRequestImagePixels { get; set; } = 64_000_000;

    /// <summary>
    /// Bytes that decoding and preprocessing prompt images may hold at once across all requests (images much larger than
    /// the vision tower's input are decoded reduced); a request that does not fit beside the others is ResourceExhausted
    /// with a retry hint (default 512 MiB).
    /// </summary>
    public long ImageDecodeBytes { get; set; } = 512L << 20;

    /// <summary>This role's device (empty: <c>Model:Device</c>), e.g. the VAE on another GPU than the U-Net.</summary>
    public string? Device { get; set; }

    /// <summary>This role's dtype (empty: <c>Model:Dtype</c>), e.g. a float32 VAE beside a bfloat16 U-Net.</summary>
    public string? Dtype { get; set; }

    public RolePlacement Placement => new(Section, Device, Dtype);

    /// <summary>Most calls waiting for the model; one more is refused with ResourceExhausted and a retry hint.</summary>
    public int MaxQueue { get; set; } = 32;

    public IEnumerable<string> Validate(string section)
    {
        foreach (var problem in (Placement with { Section = section }).Validate()) yield return problem;
        if (MaxQueue < 0) yield return $"{section}:MaxQueue must not be negative, got {MaxQueue}.";
        if (CacheBytes < 0) yield return $"{section}:CacheBytes must not be negative, got {CacheBytes}.";
        if (UploadBytes < 0) yield return $"{section}:UploadBytes must not be negative, got {UploadBytes}.";
        if (MaxPromptImages < 0) yield return $"{section}:MaxPromptImages must not be negative, got {MaxPromptImages}.";
        if (MaxPromptChars < 1) yield return $"{section}:MaxPromptChars must be at least 1, got {MaxPromptChars}.";
        if (MaxPromptTokens < 1) yield return $"{section}:MaxPromptTokens must be at least 1, got {MaxPromptTokens}.";
        if (MaxImageBytes <= 0) yield return $"{section}:MaxImageBytes must be positive, got {MaxImageBytes}.";
        if (MaxImageSide <= 0) yield return $"{section}:MaxImageSide must be positive, got {MaxImageSide}.";
        if (MaxImagePixels <= 0) yield return $"{section}:MaxImagePixels must be positive, got {MaxImagePixels}.";
        if (MaxRequestImagePixels < MaxImagePixels)
            yield return $"{section}:MaxRequestImagePixels must be at least MaxImagePixels ({MaxImagePixels}), got {MaxRequestImagePixels}.";
        if (ImageDecodeBytes <= 0) yield return $"{section}:ImageDecodeBytes must be positive, got {ImageDecodeBytes}.";
    }
}
