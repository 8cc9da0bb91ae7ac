using System.Diagnostics;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Engines.Telemetry;
using UnimoG.Engines;
using UnimoG.Contracts.Tensors;

namespace UnimoG.Engines.Gateway;

/// <summary>
/// One generation, service by service: validate (limits, prompts with their images), accept (id, seed), encode the
/// prompt and the unconditional or negative prompt, denoise with progress and previews (latent previews decoded by
/// the VAE), decode, report per-stage times. The stages are interfaces, so the same pipeline runs over gRPC (the
/// gateway service) and in one process (the CLI). Cancellation and the deadline go down to every stage.
/// </summary>
public sealed class GenerationPipeline(IEncoderClient encoder, IDenoiserClient denoiser, IVaeClient vae, GatewayOptions options,
    ImageStore uploads, ILogger<GenerationPipeline> log, UnimoGMetrics? metrics = null)
{
    private ModelInfo? _model;

    public ImageStore Uploads => uploads;
    public GatewayOptions Options => options;

    /// <summary>The served model, as the denoiser describes it (asked once, then kept).</summary>
    public async Task<ModelInfo> ModelAsync(CancellationToken ct = default) => _model ??= await denoiser.DescribeAsync(ct).ConfigureAwait(false);

    public async IAsyncEnumerable<GenerateEvent> GenerateAsync(GenerateRequest request, string requestId,
        [EnumeratorCancellation] CancellationToken ct = default, DateTime? deadline = null)
    {
        var total = Stopwatch.StartNew();
        var model = await ModelAsync(ct).ConfigureAwait(false);
        var plan = GenerationPlan.Resolve(request, model, options, requestId);
        var promptOptions = GenerationPlan.ForPrompts(model, options);
        GenerationPlan.CheckPrompt(request.Prompt, "prompt", model, options);
        var prompt = PromptConversion.ToMultimodal(request.Prompt, promptOptions, uploads, "prompt");
        var hasNegative = !GenerationPlan.IsEmpty(request.NegativePrompt);
        if (hasNegative)
        {
            GenerationPlan.CheckPrompt(request.NegativePrompt, "negative_prompt", model, options);
            PromptConversion.ToMultimodal(request.NegativePrompt, promptOptions, uploads, "negative_prompt");
        }
        log.LogInformation("generate {RequestId}: \"{Prompt}\" with {Images} image(s), seed {Seed}, {Width}x{Height}, {Steps} steps, guidance {Guidance}, {Count} image(s)",
            requestId, prompt.ToString(), prompt.Images.Count, plan.Seed, plan.Width, plan.Height, plan.Steps, plan.GuidanceScale, plan.NumImages);
        if (model.Untrained)
            log.LogWarning("model '{Model}' is UNTRAINED (random weights): request {RequestId} will produce noise", model.Model, requestId);

        yield return new GenerateEvent
        {
            Accepted = new GenerateAccepted
            {
                RequestId = requestId, Seed = plan.Seed, Model = model.Model, ModelUntrained = model.Untrained,
                Width = plan.Width, Height = plan.Height, Steps = plan.Steps, GuidanceScale = (float)plan.GuidanceScale,
                NumImages = plan.NumImages, PreviewInterval = plan.PreviewInterval, PreviewKind = plan.PreviewKind,
            },
        };

        // 1. conditions: the prompt, and for guidance the negative prompt or the empty one
        // (Stage spans never span a yield: an iterator resumes in its consumer's context, which would end them early.)
        var stage = Stopwatch.StartNew();
        WireConditioning cond;
        WireConditioning? uncond = null;
        using (UnimoGTelemetry.Source.StartActivity("encode stage"))
        {
            cond = await encoder.EncodeAsync(new EncodeRequest { Prompt = Inline(request.Prompt, "prompt"), Model = request.Model }, ct, deadline).ConfigureAwait(false);
            try
            {
                if (plan.Guided)
                    uncond = await encoder.EncodeAsync(hasNegative
                        ? new EncodeRequest { Prompt = Inline(request.NegativePrompt, "negative_prompt"), Model = request.Model }
                        : new EncodeRequest { Unconditional = true, Model = request.Model }, ct, deadline).ConfigureAwait(false);
            }
            catch
            {
                cond.Dispose();
                throw;
            }
        }
        using var condOwner = cond;
        using var uncondOwner = uncond;
        var encodeMs = stage.Elapsed.TotalMilliseconds;

        // 2. denoising, with progress and previews as they come
        stage.Restart();
        var denoise = plan.ToOptions(request.Model);
        WireTensor? latent = null;
        var finished = false;
        double queueMs = 0;
        try
        {
            await foreach (var update in denoiser.DenoiseAsync(denoise, cond, uncond, ct, deadline).ConfigureAwait(false))
            {
                switch (update)
                {
                    case DenoiseUpdate.Step s:
                        yield return new GenerateEvent { Progress = new GenerateProgress { Step = s.Value.Step, Total = s.Value.Total, ElapsedMs = total.Elapsed.TotalMilliseconds } };
                        break;
                    case DenoiseUpdate.LinearPreview p:
                        for (var i = 0; i < p.Pngs.Count; i++)
                            yield return Preview(p.StepNumber, i, p.Pngs[i], PreviewKind.Linear);
                        break;
                    case DenoiseUpdate.LatentPreview l:
                        var decoded = await DecodeAndFree(l.Latent, ct, deadline).ConfigureAwait(false);
                        for (var i = 0; i < decoded.Count; i++)
                            yield return Preview(l.StepNumber, i, decoded[i], PreviewKind.Latent);
                        break;
                    case DenoiseUpdate.Final f:
                        latent?.Dispose();
                        latent = f.Latent;
                        queueMs = f.Completed.QueueMs;
                        break;
                }
            }
            if (latent is null) throw new UnimoGException(Grpc.Core.StatusCode.Internal, "the denoiser ended without a final latent");
            finished = true;
        }
        finally
        {
            // On the normal path the latent goes on to the decoder (which frees it); on any other, free it here.
            if (!finished) latent?.Dispose();
        }
        var denoiseMs = stage.Elapsed.TotalMilliseconds;

        // 3. decoding
        stage.Restart();
        IReadOnlyList<byte[]> pngs;
        using (UnimoGTelemetry.Source.StartActivity("decode stage"))
            pngs = await DecodeAndFree(latent!, ct, deadline).ConfigureAwait(false);
        var decodeMs = stage.Elapsed.TotalMilliseconds;
        metrics?.ImagesServed.Add(pngs.Count);
        for (var i = 0; i < pngs.Count; i++)
            yield return new GenerateEvent { Image = new GeneratedImage { Index = i, Png = UnsafeByteOperations.UnsafeWrap(pngs[i]), Seed = plan.Seed, Width = plan.Width, Height = plan.Height } };
        log.LogInformation("generated {RequestId}: encode {EncodeMs:0} ms, denoise {DenoiseMs:0} ms (queue {QueueMs:0}), decode {DecodeMs:0} ms",
            requestId, encodeMs, denoiseMs, queueMs, decodeMs);
        yield return new GenerateEvent
        {
            Completed = new GenerateCompleted { EncodeMs = encodeMs, DenoiseMs = denoiseMs, DecodeMs = decodeMs, QueueMs = queueMs, TotalMs = total.Elapsed.TotalMilliseconds },
        };
    }

    private async Task<IReadOnlyList<byte[]>> DecodeAndFree(WireTensor latent, CancellationToken ct, DateTime? deadline)
    {
        using (latent)
            return await vae.DecodeAsync(latent, ct, deadline).ConfigureAwait(false);
    }

    private static GenerateEvent Preview(int step, int index, byte[] png, PreviewKind kind) =>
        new() { Preview = new GeneratePreview { Step = step, Index = index, Png = UnsafeByteOperations.UnsafeWrap(png), Kind = kind } };

    /// <summary>The prompt with uploaded images (by SHA-256) replaced by their bytes: the encoder may be another replica.</summary>
    private Prompt Inline(Prompt prompt, string field)
    {
        ImageInput Resolve(ImageInput image, string at) =>
            image.SourceCase != ImageInput.SourceOneofCase.Sha256 ? image
            : uploads.TryGet(image.Sha256, out var bytes) ? new ImageInput { Data = UnsafeByteOperations.UnsafeWrap(bytes) }
            : throw new InvalidFieldException($"{field}.{at}.sha256", $"no uploaded image has SHA-256 {image.Sha256}: upload it first (UploadImage), or send its bytes");
        var copy = new Prompt { Text = prompt.Text };
        copy.Images.AddRange(prompt.Images.Select((im, i) => Resolve(im, $"images[{i}]")));
        copy.Parts.AddRange(prompt.Parts.Select((p, i) => p.KindCase == PromptPart.KindOneofCase.Image ? new PromptPart { Image = Resolve(p.Image, $"parts[{i}].image") } : p));
        return copy;
    }
}
