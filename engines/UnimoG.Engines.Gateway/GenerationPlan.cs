using UnimoG.Contracts.V1;
using UnimoG.Imaging;
using PromptOptions = UnimoG.Text.Prompts.PromptOptions;

namespace UnimoG.Engines.Gateway;

/// <summary>
/// The gateway's side of validating a request: its defaults (steps, guidance, seed) resolved, then the one check of the
/// numeric options every service shares (<see cref="GenerationSpec.Check"/>) under the gateway's limits; and the prompt
/// checks that need the served model.
/// </summary>
public static class GenerationPlan
{
    /// <summary>
    /// <paramref name="r"/> (all but the prompts) with its defaults, checked against the served model and the limits.
    /// Each fault is InvalidArgument naming its field; a model that is not served is FailedPrecondition.
    /// </summary>
    public static GenerationSpec Resolve(GenerateRequest r, ModelInfo model, GatewayOptions o, string requestId)
    {
        var options = new DenoiseOptions
        {
            Model = r.Model, Width = r.Width, Height = r.Height, Steps = r.Steps == 0 ? o.DefaultSteps : r.Steps,
            GuidanceScale = r.HasGuidanceScale ? r.GuidanceScale : (float)o.DefaultGuidanceScale,
            Seed = r.HasSeed ? r.Seed : (ulong)Random.Shared.NextInt64(), NumImages = r.NumImages, Eta = r.Eta,
            PreviewInterval = r.PreviewInterval, PreviewKind = r.PreviewKind, RequestId = requestId,
            Sampler = r.Sampler.Length > 0 ? r.Sampler : o.DefaultSampler, ExactPreviewInterval = r.ExactPreviewInterval,
        };
        var spec = GenerationSpec.Check(options, model, o.Limits);
        var max = MaxPixels(model, o);
        if ((long)spec.Width * spec.Height > max)
            throw new InvalidFieldException("width", $"{spec.Width}x{spec.Height} is {(long)spec.Width * spec.Height:N0} pixels; model '{model.Model}' was trained at " +
                $"{model.DefaultWidth}x{model.DefaultHeight}, and at most {max:N0} are generated (Generation:MaxPixels{(o.MaxPixels == 0 ? ", by default 16x the trained size" : "")})");
        return spec;
    }

    /// <summary><see cref="GatewayOptions.MaxPixels"/>, or 16 times the model's trained size.</summary>
    public static long MaxPixels(ModelInfo model, GatewayOptions o) =>
        o.MaxPixels > 0 ? o.MaxPixels : 16L * Math.Max(1, model.DefaultWidth) * Math.Max(1, model.DefaultHeight);

    /// <summary>
    /// Prompt checks that need the model: text length, images at all (text-only encoders), how many. The gateway decodes
    /// images only to check them (the encoder gets the bytes), so large ones are decoded reduced to a thumbnail.
    /// </summary>
    public static PromptOptions ForPrompts(ModelInfo model, GatewayOptions o) =>
        new() { MaxImages = Math.Min(o.MaxPromptImages, model.MaxPromptImages), ImageLimits = o.ImageLimits, Scaling = ScaledDecoding.CheckOnly };

    public static void CheckPrompt(Prompt? prompt, string field, ModelInfo model, GatewayOptions o)
    {
        if (prompt is null) return;
        PromptConversion.CheckLength(prompt, o.MaxPromptChars, "Generation:MaxPromptChars", field);
        var hasImages = prompt.Images.Count > 0 || prompt.Parts.Any(p => p.KindCase == PromptPart.KindOneofCase.Image);
        if (hasImages && model.MaxPromptImages == 0)
            throw new InvalidFieldException($"{field}.images", $"model '{model.Model}' encodes text only ({model.Encoder}): remove the images");
    }

    public static bool IsEmpty(Prompt? p) => p is null || (p.Parts.Count == 0 && p.Text.Length == 0 && p.Images.Count == 0);

}
