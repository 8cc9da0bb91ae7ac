using UnimoG.Contracts.Tensors;
using UnimoG.Data.Config;

namespace UnimoG.Engines.Inference;

/// <summary>Section <c>Denoiser</c>: dynamic batching and request limits.</summary>
public sealed class DenoiserOptions : IValidatedOptions
{
    public const string Section = "Denoiser";

    /// <summary>Most images (latent rows) stepped in one U-Net batch; guided requests run two U-Net rows per image.</summary>
    public int MaxBatchImages { get; set; } = 8;

    /// <summary>Most requests waiting for a batch slot; one more is refused with ResourceExhausted.</summary>
    public int MaxQueue { get; set; } = 32;

    /// <summary>How long an idle batcher waits for more requests to start together (a short bounded wait for joiners).</summary>
    public TimeSpan BatchWait { get; set; } = TimeSpan.FromMilliseconds(20);

    public int MaxSteps { get; set; } = 1000;

    /// <summary>Largest classifier-free guidance scale accepted (the gateway's default limit).</summary>
    public double MaxGuidanceScale { get; set; } = 30.0;

    /// <summary>Longest image side in pixels.</summary>
    public int MaxSide { get; set; } = 2048;

    /// <summary>Longest condition sequence (tokens) accepted.</summary>
    public int MaxConditionTokens { get; set; } = 4096;

    /// <summary>What a Denoise stream may carry: four condition tensors of at most MaxConditionTokens x 16,384 floats each.</summary>
    public TensorLimits TensorLimits => new() { MaxTensors = 4, MaxTensorBytes = (long)MaxConditionTokens * 16384 * 4, MaxTotalBytes = 4L * MaxConditionTokens * 16384 * 4 };

    /// <summary>The numeric limits of a request (<see cref="GenerationSpec.Check"/>); num_images is bounded by the batch.</summary>
    public GenerationLimits Limits => new(new(MaxSide, $"{Section}:MaxSide"), new(MaxSide, $"{Section}:MaxSide"), new(MaxSteps, $"{Section}:MaxSteps"),
        new(MaxGuidanceScale, $"{Section}:MaxGuidanceScale"), new(MaxBatchImages, $"{Section}:MaxBatchImages"));

    /// <summary>This role's device (empty: <c>Model:Device</c>), e.g. the VAE on another GPU than the U-Net.</summary>
    public string? Device { get; set; }

    /// <summary>This role's dtype (empty: <c>Model:Dtype</c>), e.g. a float32 VAE beside a bfloat16 U-Net.</summary>
    public string? Dtype { get; set; }

    public RolePlacement Placement => new(Section, Device, Dtype);

    public IEnumerable<string> Validate(string section)
    {
        foreach (var problem in (Placement with { Section = section }).Validate()) yield return problem;
        if (!(MaxGuidanceScale >= 0) || double.IsInfinity(MaxGuidanceScale)) yield return $"{section}:MaxGuidanceScale must be a finite number >= 0, got {MaxGuidanceScale}.";
        if (MaxBatchImages < 1) yield return $"{section}:MaxBatchImages must be at least 1, got {MaxBatchImages}.";
        if (MaxQueue < 0) yield return $"{section}:MaxQueue must not be negative, got {MaxQueue}.";
        if (BatchWait < TimeSpan.Zero || BatchWait > TimeSpan.FromSeconds(5)) yield return $"{section}:BatchWait must be between 0 and 5 s, got {BatchWait}.";
        if (MaxSteps < 1) yield return $"{section}:MaxSteps must be at least 1, got {MaxSteps}.";
        if (MaxSide < 8) yield return $"{section}:MaxSide must be at least 8, got {MaxSide}.";
        if (MaxConditionTokens < 1) yield return $"{section}:MaxConditionTokens must be at least 1, got {MaxConditionTokens}.";
    }
}
