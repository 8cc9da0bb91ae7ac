using UnimoG.Imaging;
using UnimoG.Text.Prompts;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Engines;

/// <summary>
/// What a request's images will cost, counted from their headers before any pixel is decoded: pixels against the
/// request's budget, bytes against the service's <see cref="DecodeBudget"/>.
/// </summary>
public static class RequestImages
{
    /// <summary>
    /// Reads the header of every image of <paramref name="prompts"/> (at most <see cref="PromptOptions.MaxImages"/> per
    /// prompt: more are refused when the prompt is parsed) and admits the request: InvalidArgument naming the image at
    /// which the declared pixels pass <paramref name="maxPixels"/>, or the bytes the whole budget; ResourceExhausted with a
    /// retry hint when other requests hold the budget. Dispose the lease once the images are decoded and preprocessed.
    /// A header that cannot be read is skipped: decoding reports it, naming its field.
    /// </summary>
    /// <param name="pixelsKey">The setting behind <paramref name="maxPixels"/>, named in the refusal.</param>
    /// <param name="workingBytes">What the consumer allocates besides the decoded image (the encoder's preprocessing).</param>
    public static IDisposable Admit(IEnumerable<(V1.Prompt? Prompt, string Field)> prompts, PromptOptions options, ImageStore? store,
        long maxPixels, string pixelsKey, DecodeBudget budget, Func<DecodePlan, long>? workingBytes = null)
    {
        long pixels = 0, bytes = 0;
        foreach (var (field, data) in prompts.SelectMany(p => Images(p.Prompt, p.Field, store).Take(options.MaxImages)))
        {
            DecodePlan plan;
            try
            {
                plan = ImageDecoder.Plan(data, options.ImageLimits, options.Scaling);
            }
            catch (ImageDecodeException)
            {
                continue;
            }
            pixels += plan.Pixels;
            if (pixels > maxPixels)
                throw new InvalidFieldException(field, $"the request's images declare {pixels:N0} pixels up to this one ({plan.Width}x{plan.Height}); " +
                                                       $"at most {maxPixels:N0} are decoded per request ({pixelsKey})");
            bytes += plan.Bytes + (workingBytes?.Invoke(plan) ?? 0);
            if (bytes > budget.Capacity)
                throw new InvalidFieldException(field, $"decoding the request's images takes {bytes:N0} bytes up to this one ({plan.Width}x{plan.Height} " +
                                                       $"{plan.Format}); {budget.Key} allows {budget.Capacity:N0} at a time");
        }
        return budget.Acquire(bytes);
    }

    private static IEnumerable<(string Field, byte[] Data)> Images(V1.Prompt? prompt, string field, ImageStore? store)
    {
        if (prompt is null) yield break;
        for (int i = 0; i < prompt.Images.Count; i++)
            if (Bytes(prompt.Images[i], store) is { } data) yield return ($"{field}.images[{i}]", data);
        for (int i = 0; i < prompt.Parts.Count; i++)
            if (prompt.Parts[i].KindCase == V1.PromptPart.KindOneofCase.Image && Bytes(prompt.Parts[i].Image, store) is { } data)
                yield return ($"{field}.parts[{i}].image", data);
    }

    // Unknown hashes are skipped here; parsing the prompt refuses them.
    private static byte[]? Bytes(V1.ImageInput image, ImageStore? store) =>
        image.SourceCase != V1.ImageInput.SourceOneofCase.Sha256 ? image.Data.ToByteArray()
        : store is not null && store.TryGet(image.Sha256, out var bytes) ? bytes
        : null;
}
