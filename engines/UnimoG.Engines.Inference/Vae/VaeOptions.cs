using UnimoG.Contracts.Tensors;
using UnimoG.Data.Config;
using UnimoG.Imaging;

namespace UnimoG.Engines.Inference;

/// <summary>Section <c>Vae</c>: limits of the VAE service.</summary>
public sealed class VaeOptions : IValidatedOptions
{
    public const string Section = "Vae";

    /// <summary>Most images decoded in one call.</summary>
    public int MaxImages { get; set; } = 16;

    /// <summary>Longest image side in pixels (decoded output, or encoded input).</summary>
    public int MaxSide { get; set; } = 2048;

    public long MaxImageBytes { get; set; } = ImageLimits.Default.MaxBytes;

    public TensorLimits TensorLimits => new() { MaxTensors = 1, MaxTensorBytes = 256L << 20, MaxTotalBytes = 256L << 20 };

    /// <summary>This role's device (empty: <c>Model:Device</c>), e.g. the VAE on another GPU than the U-Net.</summary>
    public string? Device { get; set; }

    /// <summary>This role's dtype (empty: <c>Model:Dtype</c>), e.g. a float32 VAE beside a bfloat16 U-Net.</summary>
    public string? Dtype { get; set; }

    /// <summary>
    /// Decode and encode in float32 when the dtype is float16. Empty: the VAE config's <c>force_upcast</c> decides
    /// (diffusers' rule: Stable Diffusion's VAE overflows in float16). bfloat16 has float32's range and never upcasts.
    /// </summary>
    public bool? Upcast { get; set; }

    public RolePlacement Placement => new(Section, Device, Dtype);

    /// <summary>Most calls waiting for the model; one more is refused with ResourceExhausted and a retry hint.</summary>
    public int MaxQueue { get; set; } = 32;

    public IEnumerable<string> Validate(string section)
    {
        foreach (var problem in (Placement with { Section = section }).Validate()) yield return problem;
        if (MaxQueue < 0) yield return $"{section}:MaxQueue must not be negative, got {MaxQueue}.";
        if (MaxImages < 1) yield return $"{section}:MaxImages must be at least 1, got {MaxImages}.";
        if (MaxSide < 8) yield return $"{section}:MaxSide must be at least 8, got {MaxSide}.";
        if (MaxImageBytes <= 0) yield return $"{section}:MaxImageBytes must be positive, got {MaxImageBytes}.";
    }
}
