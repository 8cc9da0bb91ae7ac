using UnimoG.Contracts.V1;
using UnimoG.Data.Sampling;

namespace UnimoG.Engines;

/// <summary>A limit and the setting it comes from (named in the refusal, so an operator knows what to raise).</summary>
public readonly record struct Limit<T>(T Value, string Key)
{
    public override string ToString() => $"{Value} ({Key})";
}

/// <summary>What a service allows of a generation's numeric options (the gateway's and the denoiser's own limits).</summary>
public sealed record GenerationLimits(Limit<int> MaxWidth, Limit<int> MaxHeight, Limit<int> MaxSteps, Limit<double> MaxGuidanceScale, Limit<int> MaxNumImages);

/// <summary>
/// A generation's options with every default resolved and every limit checked: the one validation of a generate
/// request, run by the gateway (after resolving its defaults) and again by the denoiser (against its own limits), so a
/// service reached directly refuses exactly what the gateway refuses. Faults are <see cref="InvalidFieldException"/>s
/// naming the option; a model that is not served is FailedPrecondition.
/// </summary>
public sealed record GenerationSpec(int Width, int Height, int Steps, double GuidanceScale, ulong Seed, int NumImages, double Eta,
    int PreviewInterval, PreviewKind PreviewKind, string RequestId, string Sampler = SamplerPresets.Default, int ExactPreviewInterval = 0)
{
    public bool Guided => GuidanceScale > 1;

    /// <summary>The preview after 1-based <paramref name="step"/>: none, linear, or exact (the latent, for a VAE decode).</summary>
    public PreviewKind PreviewAt(int step) =>
        PreviewKind == PreviewKind.None || step % PreviewInterval != 0 ? PreviewKind.None
        : ExactPreviewInterval > 0 && step % ExactPreviewInterval == 0 ? PreviewKind.Latent
        : PreviewKind;

    /// <summary>Checks <paramref name="o"/> (0 width/height = the model's size, 0 images = 1) against the served model and the limits.</summary>
    public static GenerationSpec Check(DenoiseOptions o, ModelInfo model, GenerationLimits limits)
    {
        ModelInfos.CheckModel(o.Model, model.Model);
        var width = o.Width == 0 ? model.DefaultWidth : o.Width;
        var height = o.Height == 0 ? model.DefaultHeight : o.Height;
        Side("width", width, model.VaeScaleFactor, limits.MaxWidth);
        Side("height", height, model.VaeScaleFactor, limits.MaxHeight);
        if (o.Steps < 1 || o.Steps > limits.MaxSteps.Value)
            throw new InvalidFieldException("steps", $"must be between 1 and {limits.MaxSteps}, got {o.Steps}");
        if (!float.IsFinite(o.GuidanceScale) || o.GuidanceScale < 0 || o.GuidanceScale > limits.MaxGuidanceScale.Value)
            throw new InvalidFieldException("guidance_scale", $"must be between 0 and {limits.MaxGuidanceScale}, got {o.GuidanceScale}");
        var images = o.NumImages == 0 ? 1 : o.NumImages;
        if (images < 1 || images > limits.MaxNumImages.Value)
            throw new InvalidFieldException("num_images", $"must be between 1 and {limits.MaxNumImages}, got {o.NumImages}");
        if (!float.IsFinite(o.Eta) || o.Eta < 0 || o.Eta > 1)
            throw new InvalidFieldException("eta", $"must be between 0 and 1, got {o.Eta}");
        var sampler = CheckSampler(o.Sampler, model, o.Eta);
        if (o.PreviewInterval < 0 || o.PreviewInterval > o.Steps)
            throw new InvalidFieldException("preview_interval", $"must be between 0 (no previews) and steps ({o.Steps}), got {o.PreviewInterval}");
        if (!Enum.IsDefined(o.PreviewKind))
            throw new InvalidFieldException("preview_kind", $"unknown value {(int)o.PreviewKind}; use PREVIEW_KIND_LINEAR or PREVIEW_KIND_LATENT");
        var kind = o.PreviewInterval == 0 ? PreviewKind.None : o.PreviewKind == PreviewKind.None ? PreviewKind.Linear : o.PreviewKind;
        if (kind == PreviewKind.Linear && !model.LinearPreview)
            throw new InvalidFieldException("preview_kind", $"model '{model.Model}' has no linear preview factors (preview.json; `unimog models fit-preview` makes them): use PREVIEW_KIND_LATENT");
        CheckExactPreviews(o, kind);
        return new GenerationSpec(width, height, o.Steps, o.GuidanceScale, o.Seed, images, o.Eta, o.PreviewInterval, kind, o.RequestId, sampler, o.ExactPreviewInterval);
    }

    /// <summary>The spec as the denoiser's options (what the gateway sends).</summary>
    public DenoiseOptions ToOptions(string model) => new()
    {
        Model = model, Width = Width, Height = Height, Steps = Steps, GuidanceScale = (float)GuidanceScale, Seed = Seed,
        NumImages = NumImages, Eta = (float)Eta, PreviewInterval = PreviewInterval, PreviewKind = PreviewKind, RequestId = RequestId,
        Sampler = Sampler, ExactPreviewInterval = ExactPreviewInterval,
    };

    /// <summary>Exact previews every k steps replace some linear ones: k counts in linear previews, within the run.</summary>
    private static void CheckExactPreviews(DenoiseOptions o, PreviewKind kind)
    {
        var k = o.ExactPreviewInterval;
        if (k == 0) return;
        if (k < 0)
            throw new InvalidFieldException("exact_preview_interval", $"must be 0 (no exact previews) or positive, got {k}");
        if (kind != PreviewKind.Linear)
            throw new InvalidFieldException("exact_preview_interval", kind == PreviewKind.None
                ? $"needs linear previews (preview_interval > 0), got {k} with preview_interval 0"
                : $"applies to linear previews only: with PREVIEW_KIND_LATENT every preview is exact already; got {k}");
        if (k % o.PreviewInterval != 0)
            throw new InvalidFieldException("exact_preview_interval", $"must be a multiple of preview_interval ({o.PreviewInterval}), got {k}");
        if (k > o.Steps)
            throw new InvalidFieldException("exact_preview_interval", $"must be at most steps ({o.Steps}), got {k}");
    }

    /// <summary>A sampler the model serves (empty = its default); eta is DDIM's alone.</summary>
    private static string CheckSampler(string requested, ModelInfo model, double eta)
    {
        var served = model.Samplers.Count > 0 ? model.Samplers.Select(s => s.Name).ToList() : SamplerPresets.Names.ToList();
        var name = requested.Length > 0 ? requested : model.DefaultSampler.Length > 0 ? model.DefaultSampler : SamplerPresets.Default;
        if (!served.Contains(name, StringComparer.Ordinal))
            throw new InvalidFieldException("sampler", $"'{Echo.Of(requested)}' is not served; use one of {string.Join(", ", served)}");
        if (eta > 0 && name != "ddim")
            throw new InvalidFieldException("eta", $"only the ddim sampler takes eta; {name} got {eta} (use 0, or sampler ddim)");
        return name;
    }

    private static void Side(string field, int value, int factor, Limit<int> max)
    {
        var step = Math.Max(8, factor);
        if (value < step || value > max.Value || value % 8 != 0 || value % factor != 0)
            throw new InvalidFieldException(field, $"must be a multiple of {step} between {step} and {max}, got {value}");
    }
}
