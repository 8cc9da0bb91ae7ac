using UnimoG.Data.Config;
using UnimoG.Data.Sampling;
using UnimoG.Imaging;

namespace UnimoG.Engines.Gateway;

/// <summary>Section <c>Generation</c>: defaults and limits of the public Generate call.</summary>
public sealed class GatewayOptions : IValidatedOptions
{
    public const string Section = "Generation";

    public int MaxWidth { get; set; } = 1024;
    public int MaxHeight { get; set; } = 1024;
    public int DefaultSteps { get; set; } = 15;
    /// <summary>The sampler of a request that names none (one of <see cref="SamplerPresets"/>; docs/sampling.md).</summary>
    public string DefaultSampler { get; set; } = SamplerPresets.Default;
    public int MaxSteps { get; set; } = 200;
    public double DefaultGuidanceScale { get; set; } = 5.0;
    public double MaxGuidanceScale { get; set; } = 30.0;
    /// <summary>Most images per request (num_images).</summary>
    public int MaxNumImages { get; set; } = 4;
    /// <summary>Most images in one prompt (the model's own limit applies too).</summary>
    public int MaxPromptImages { get; set; } = 8;
    /// <summary>Longest prompt text (all text parts together), in UTF-16 characters.</summary>
    public int MaxPromptChars { get; set; } = 2000;
    public long MaxImageBytes { get; set; } = ImageLimits.Default.MaxBytes;
    public int MaxImageSide { get; set; } = 4096;
    public long MaxImagePixels { get; set; } = 16_777_216;
    /// <summary>
    /// Most output pixels (width x height) per image; 0 (the default): 16 times the served model's trained size
    /// (4x per side: 256x256 for unimog-mini's 64x64, 2048x2048 for Stable Diffusion's 512x512). Far beyond the
    /// trained size a model gives noise at a cost that grows with the square of the pixels.
    /// </summary>
    public long MaxPixels { get; set; }

    /// <summary>Byte budget of images uploaded to the gateway.</summary>
    public long UploadBytes { get; set; } = 256L << 20;
    /// <summary>
    /// Most pixels the headers of one request's images (prompt and negative prompt) may declare, counted before any is
    /// decoded: what decoding reads, however small the result (default 64 M: four 4000x4000 images).
    /// </summary>
    public long MaxRequestImagePixels { get; set; } = 64_000_000;
    /// <summary>
    /// Bytes that checking images (decoding them, reduced to a thumbnail when large) may hold at once across all requests;
    /// a request that does not fit beside the others is ResourceExhausted with a retry hint (default 256 MiB).
    /// </summary>
    public long ImageDecodeBytes { get; set; } = 256L << 20;

    /// <summary>The numeric limits every service checks (<see cref="GenerationSpec.Check"/>).</summary>
    public GenerationLimits Limits => new(new(MaxWidth, $"{Section}:MaxWidth"), new(MaxHeight, $"{Section}:MaxHeight"), new(MaxSteps, $"{Section}:MaxSteps"),
        new(MaxGuidanceScale, $"{Section}:MaxGuidanceScale"), new(MaxNumImages, $"{Section}:MaxNumImages"));

    public ImageLimits ImageLimits => new() { MaxBytes = MaxImageBytes, MaxSide = MaxImageSide, MaxPixels = MaxImagePixels };

    public IEnumerable<string> Validate(string section)
    {
        if (MaxWidth < 8) yield return $"{section}:MaxWidth must be at least 8, got {MaxWidth}.";
        if (MaxHeight < 8) yield return $"{section}:MaxHeight must be at least 8, got {MaxHeight}.";
        if (SamplerPresets.Find(DefaultSampler) is null)
            yield return $"{section}:DefaultSampler must be one of {string.Join(", ", SamplerPresets.Names)}, got '{DefaultSampler}'.";
        if (MaxSteps < 1) yield return $"{section}:MaxSteps must be at least 1, got {MaxSteps}.";
        if (DefaultSteps < 1 || DefaultSteps > MaxSteps) yield return $"{section}:DefaultSteps must be between 1 and MaxSteps ({MaxSteps}), got {DefaultSteps}.";
        if (!(MaxGuidanceScale >= 0)) yield return $"{section}:MaxGuidanceScale must be >= 0, got {MaxGuidanceScale}.";
        if (!(DefaultGuidanceScale >= 0 && DefaultGuidanceScale <= MaxGuidanceScale))
            yield return $"{section}:DefaultGuidanceScale must be between 0 and MaxGuidanceScale ({MaxGuidanceScale}), got {DefaultGuidanceScale}.";
        if (MaxNumImages < 1) yield return $"{section}:MaxNumImages must be at least 1, got {MaxNumImages}.";
        if (MaxPromptImages < 0) yield return $"{section}:MaxPromptImages must not be negative, got {MaxPromptImages}.";
        if (MaxPromptChars < 1) yield return $"{section}:MaxPromptChars must be at least 1, got {MaxPromptChars}.";
        if (MaxImageBytes <= 0 || MaxImageSide <= 0 || MaxImagePixels <= 0)
            yield return $"{section}:MaxImageBytes, MaxImageSide and MaxImagePixels must be positive.";
        if (MaxPixels < 0) yield return $"{section}:MaxPixels must not be negative (0: 16x the model's trained size), got {MaxPixels}.";
        if (UploadBytes < 0) yield return $"{section}:UploadBytes must not be negative, got {UploadBytes}.";
        if (MaxRequestImagePixels < MaxImagePixels)
            yield return $"{section}:MaxRequestImagePixels must be at least MaxImagePixels ({MaxImagePixels}), got {MaxRequestImagePixels}.";
        if (ImageDecodeBytes <= 0) yield return $"{section}:ImageDecodeBytes must be positive, got {ImageDecodeBytes}.";
    }
}
