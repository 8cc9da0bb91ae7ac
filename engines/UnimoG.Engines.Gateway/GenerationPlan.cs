using Grpc.Core;
using UnimoG.Contracts.V1;
using PromptOptions = UnimoG.Text.Prompts.PromptOptions;
using UnimoG.Engines;

namespace UnimoG.Engines.Gateway;

/// <summary>A request with every default resolved and every limit checked.</summary>
public sealed record GenerationPlan(int Width, int Height, int Steps, double GuidanceScale, ulong Seed, int NumImages, double Eta,
    int PreviewInterval, PreviewKind PreviewKind)
{
    public bool Guided => GuidanceScale > 1;

    /// <summary>
    /// Checks <paramref name="r"/> (all but the prompts) against the served model and the limits. Each fault is
    /// InvalidArgument naming its field; a model that is not served is FailedPrecondition.
    /// </summary>
    public static GenerationPlan Resolve(GenerateRequest r, ModelInfo model, GatewayOptions o)
    {
        ModelInfos.CheckModel(r.Model, model.Model);
        var width = r.Width == 0 ? model.DefaultWidth : r.Width;
        var height = r.Height == 0 ? model.DefaultHeight : r.Height;
        Side("width", width, model.VaeScaleFactor, o.MaxWidth);
        Side("height", height, model.VaeScaleFactor, o.MaxHeight);
        var steps = r.Steps == 0 ? o.DefaultSteps : r.Steps;
        if (steps < 1 || steps > o.MaxSteps)
            throw new InvalidFieldException("steps", $"must be between 1 and {o.MaxSteps} (0 = {o.DefaultSteps}), got {r.Steps}");
        var guidance = r.HasGuidanceScale ? r.GuidanceScale : o.DefaultGuidanceScale;
        if (!double.IsFinite(guidance) || guidance < 0 || guidance > o.MaxGuidanceScale)
            throw new InvalidFieldException("guidance_scale", $"must be between 0 and {o.MaxGuidanceScale}, got {guidance}");
        var images = r.NumImages == 0 ? 1 : r.NumImages;
        if (images < 1 || images > o.MaxNumImages)
            throw new InvalidFieldException("num_images", $"must be between 1 and {o.MaxNumImages}, got {r.NumImages}");
        if (!float.IsFinite(r.Eta) || r.Eta < 0 || r.Eta > 1)
            throw new InvalidFieldException("eta", $"must be between 0 and 1, got {r.Eta}");
        if (r.PreviewInterval < 0 || r.PreviewInterval > steps)
            throw new InvalidFieldException("preview_interval", $"must be between 0 (no previews) and steps ({steps}), got {r.PreviewInterval}");
        if (!Enum.IsDefined(r.PreviewKind))
            throw new InvalidFieldException("preview_kind", $"unknown value {(int)r.PreviewKind}; use PREVIEW_KIND_LINEAR or PREVIEW_KIND_LATENT");
        var kind = r.PreviewInterval == 0 ? PreviewKind.None : r.PreviewKind == PreviewKind.None ? PreviewKind.Linear : r.PreviewKind;
        if (kind == PreviewKind.Linear && !model.LinearPreview)
            throw new InvalidFieldException("preview_kind", $"model '{model.Model}' has no linear preview factors (preview.json): use PREVIEW_KIND_LATENT");
        var seed = r.HasSeed ? r.Seed : (ulong)Random.Shared.NextInt64();
        return new GenerationPlan(width, height, steps, guidance, seed, images, r.Eta, r.PreviewInterval, kind);
    }

    private static void Side(string field, int value, int factor, int max)
    {
        var step = Math.Max(8, factor);
        if (value < step || value > max || value % 8 != 0 || value % factor != 0)
            throw new InvalidFieldException(field, $"must be a multiple of {step} between {step} and {max}, got {value}");
    }

    /// <summary>Prompt checks that need the model: text length, images at all (text-only encoders), how many.</summary>
    public static PromptOptions ForPrompts(ModelInfo model, GatewayOptions o) =>
        new() { MaxImages = Math.Min(o.MaxPromptImages, model.MaxPromptImages), ImageLimits = o.ImageLimits };

    public static void CheckPrompt(Prompt? prompt, string field, ModelInfo model, GatewayOptions o)
    {
        if (prompt is null) return;
        var chars = prompt.Text.Length + prompt.Parts.Where(p => p.KindCase == PromptPart.KindOneofCase.Text).Sum(p => p.Text.Length);
        if (chars > o.MaxPromptChars)
            throw new InvalidFieldException(prompt.Parts.Count > 0 ? $"{field}.parts" : $"{field}.text", $"{chars} characters; at most {o.MaxPromptChars} are allowed (Generation:MaxPromptChars)");
        var hasImages = prompt.Images.Count > 0 || prompt.Parts.Any(p => p.KindCase == PromptPart.KindOneofCase.Image);
        if (hasImages && model.MaxPromptImages == 0)
            throw new InvalidFieldException($"{field}.images", $"model '{model.Model}' encodes text only ({model.Encoder}): remove the images");
    }

    public static bool IsEmpty(Prompt? p) => p is null || (p.Parts.Count == 0 && p.Text.Length == 0 && p.Images.Count == 0);

    internal static RpcException Unavailable(string what) => new(new Status(StatusCode.Unavailable, what));
}
