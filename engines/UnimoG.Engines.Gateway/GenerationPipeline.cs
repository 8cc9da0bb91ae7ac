using System.Diagnostics;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Engines.Telemetry;
using UnimoG.Contracts.Tensors;
using MultimodalPrompt = UnimoG.Text.Prompts.MultimodalPrompt;

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

    /// <summary>Bytes of image checking in flight (<see cref="GatewayOptions.ImageDecodeBytes"/>).</summary>
    public DecodeBudget Decoding { get; } = new(options.ImageDecodeBytes, $"{GatewayOptions.Section}:ImageDecodeBytes");

    /// <summary>The served model as the denoiser describes it (asked once, then kept), with the gateway's defaults.</summary>
    public async Task<ModelInfo> ModelAsync(CancellationToken ct = default)
    {
        if (_model is not null) return _model;
        var served = (await denoiser.DescribeAsync(ct).ConfigureAwait(false)).Clone();
        served.DefaultSampler = options.DefaultSampler;
        served.DefaultSteps = options.DefaultSteps;
        return _model = served;
    }

    /// <summary>The generation's events; a backend's failure is told by the service's name and the request id (<see cref="BackendFailures"/>).</summary>
    public async IAsyncEnumerable<GenerateEvent> GenerateAsync(GenerateRequest request, string requestId,
        [EnumeratorCancellation] CancellationToken ct = default, DateTime? deadline = null)
    {
        var at = new Stage();
        await using var events = GenerateCoreAsync(request, requestId, at, ct, deadline).GetAsyncEnumerator(ct);
        while (true)
        {
            try
            {
                if (!await events.MoveNextAsync().ConfigureAwait(false)) yield break;
            }
            catch (Exception e) when (BackendFailures.Name(at.Service, requestId, e, log) is { } named)
            {
                throw named;
            }
            yield return events.Current;
        }
    }

    private async IAsyncEnumerable<GenerateEvent> GenerateCoreAsync(GenerateRequest request, string requestId, Stage at,
        [EnumeratorCancellation] CancellationToken ct, DateTime? deadline)
    {
        var total = Stopwatch.StartNew();
        at.Service = "denoiser";
        var model = await ModelAsync(ct).ConfigureAwait(false);
        at.Service = null;
        var plan = Validate(request, model, requestId);
        yield return new GenerateEvent
        {
            Accepted = new GenerateAccepted
            {
                RequestId = requestId, Seed = plan.Seed, Model = model.Model, ModelUntrained = model.Untrained,
                Width = plan.Width, Height = plan.Height, Steps = plan.Steps, GuidanceScale = (float)plan.GuidanceScale,
                NumImages = plan.NumImages, PreviewInterval = plan.PreviewInterval, PreviewKind = plan.PreviewKind, Sampler = plan.Sampler,
            },
        };

        // 1. conditions: the prompt, and for guidance the negative prompt or the empty one
        var stage = Stopwatch.StartNew();
        at.Service = "encoder";
        var (cond, uncond) = await EncodeAsync(request, plan, ct, deadline).ConfigureAwait(false);
        using var condOwner = cond;
        using var uncondOwner = uncond;
        var encodeMs = stage.Elapsed.TotalMilliseconds;

        // 2. denoising, with progress and previews as they come
        stage.Restart();
        var denoised = new Denoised();
        await foreach (var e in DenoiseAsync(plan.ToOptions(request.Model), cond, uncond, denoised, total, at, ct, deadline).ConfigureAwait(false))
            yield return e;
        var denoiseMs = stage.Elapsed.TotalMilliseconds;

        // 3. decoding (the decoder frees the latent)
        stage.Restart();
        IReadOnlyList<byte[]> pngs;
        at.Service = "vae";
        using (UnimoGTelemetry.Source.StartActivity("decode stage"))
            pngs = await DecodeAndFree(denoised.Latent!, ct, deadline).ConfigureAwait(false);
        at.Service = null;
        var decodeMs = stage.Elapsed.TotalMilliseconds;
        metrics?.ImagesServed.Add(pngs.Count);
        for (var i = 0; i < pngs.Count; i++)
            yield return new GenerateEvent { Image = new GeneratedImage { Index = i, Png = UnsafeByteOperations.UnsafeWrap(pngs[i]), Seed = plan.Seed, Width = plan.Width, Height = plan.Height } };
        log.LogInformation("generated {RequestId}: encode {EncodeMs:0} ms, denoise {DenoiseMs:0} ms (queue {QueueMs:0}), decode {DecodeMs:0} ms",
            requestId, encodeMs, denoiseMs, denoised.QueueMs, decodeMs);
        yield return new GenerateEvent
        {
            Completed = new GenerateCompleted { EncodeMs = encodeMs, DenoiseMs = denoiseMs, DecodeMs = decodeMs, QueueMs = denoised.QueueMs, TotalMs = total.Elapsed.TotalMilliseconds },
        };
    }

    /// <summary>Every check before work starts: the options (<see cref="GenerationPlan"/>), both prompts with their images.</summary>
    private GenerationSpec Validate(GenerateRequest request, ModelInfo model, string requestId)
    {
        var plan = GenerationPlan.Resolve(request, model, options, requestId);
        var promptOptions = GenerationPlan.ForPrompts(model, options);
        var negative = !GenerationPlan.IsEmpty(request.NegativePrompt);
        GenerationPlan.CheckPrompt(request.Prompt, "prompt", model, options);
        if (negative) GenerationPlan.CheckPrompt(request.NegativePrompt, "negative_prompt", model, options);
        MultimodalPrompt prompt;
        // Both prompts' images are counted from their headers, then decoded within the budget.
        using (RequestImages.Admit([(request.Prompt, "prompt"), (negative ? request.NegativePrompt : null, "negative_prompt")], promptOptions, uploads,
                   options.MaxRequestImagePixels, $"{GatewayOptions.Section}:MaxRequestImagePixels", Decoding))
        {
            prompt = PromptConversion.ToMultimodal(request.Prompt, promptOptions, uploads, "prompt");
            if (negative) PromptConversion.ToMultimodal(request.NegativePrompt, promptOptions, uploads, "negative_prompt");
        }
        log.LogInformation("generate {RequestId}: \"{Prompt}\" with {Images} image(s), seed {Seed}, {Width}x{Height}, {Steps} steps, guidance {Guidance}, {Count} image(s)",
            requestId, prompt.ToString(), prompt.Images.Count, plan.Seed, plan.Width, plan.Height, plan.Steps, plan.GuidanceScale, plan.NumImages);
        if (model.Untrained)
            log.LogWarning("model '{Model}' is UNTRAINED (random weights): request {RequestId} will produce noise", model.Model, requestId);
        return plan;
    }

    /// <summary>The prompt's condition and, when guided, the negative prompt's or the empty prompt's.</summary>
    private async Task<(WireConditioning Cond, WireConditioning? Uncond)> EncodeAsync(GenerateRequest request, GenerationSpec plan, CancellationToken ct, DateTime? deadline)
    {
        // Stage spans never span a yield: an iterator resumes in its consumer's context, which would end them early.
        using var span = UnimoGTelemetry.Source.StartActivity("encode stage");
        var cond = await encoder.EncodeAsync(new EncodeRequest { Prompt = Inline(request.Prompt, "prompt"), Model = request.Model }, ct, deadline).ConfigureAwait(false);
        try
        {
            if (!plan.Guided) return (cond, null);
            var uncond = await encoder.EncodeAsync(!GenerationPlan.IsEmpty(request.NegativePrompt)
                ? new EncodeRequest { Prompt = Inline(request.NegativePrompt, "negative_prompt"), Model = request.Model }
                : new EncodeRequest { Unconditional = true, Model = request.Model }, ct, deadline).ConfigureAwait(false);
            return (cond, uncond);
        }
        catch
        {
            cond.Dispose();
            throw;
        }
    }

    /// <summary>What the denoising stage leaves for the next: the final latent (owned by the receiver) and the queue time.</summary>
    private sealed class Denoised
    {
        public WireTensor? Latent { get; set; }
        public double QueueMs { get; set; }
    }

    /// <summary>The denoiser's updates as generation events (latent previews decoded by the VAE); the final latent into <paramref name="result"/>.</summary>
    private async IAsyncEnumerable<GenerateEvent> DenoiseAsync(DenoiseOptions denoise, WireConditioning cond, WireConditioning? uncond, Denoised result,
        Stopwatch total, Stage at, [EnumeratorCancellation] CancellationToken ct, DateTime? deadline)
    {
        var finished = false;
        at.Service = "denoiser";
        try
        {
            await foreach (var update in denoiser.DenoiseAsync(denoise, cond, uncond, ct, deadline).ConfigureAwait(false))
            {
                switch (update)
                {
                    case DenoiseUpdate.Queued q:
                        yield return new GenerateEvent { Queued = new GenerateQueued { Position = q.Value.Position, Active = q.Value.Active } };
                        break;
                    case DenoiseUpdate.Step s:
                        yield return new GenerateEvent { Progress = new GenerateProgress { Step = s.Value.Step, Total = s.Value.Total, ElapsedMs = total.Elapsed.TotalMilliseconds } };
                        break;
                    case DenoiseUpdate.LinearPreview p:
                        for (var i = 0; i < p.Pngs.Count; i++)
                            yield return Preview(p.StepNumber, i, p.Pngs[i], PreviewKind.Linear);
                        break;
                    case DenoiseUpdate.LatentPreview l:
                        at.Service = "vae";
                        var decoded = await DecodeAndFree(l.Latent, ct, deadline).ConfigureAwait(false);
                        at.Service = "denoiser";
                        for (var i = 0; i < decoded.Count; i++)
                            yield return Preview(l.StepNumber, i, decoded[i], PreviewKind.Latent);
                        break;
                    case DenoiseUpdate.Final f:
                        result.Latent?.Dispose();
                        result.Latent = f.Latent;
                        result.QueueMs = f.Completed.QueueMs;
                        break;
                }
            }
            if (result.Latent is null) throw new UnimoGException(Grpc.Core.StatusCode.Internal, "the denoiser ended without a final latent");
            finished = true;
        }
        finally
        {
            // On the normal path the latent goes on to the decoder (which frees it); on any other, free it here.
            if (!finished)
            {
                result.Latent?.Dispose();
                result.Latent = null;
            }
        }
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
            : throw new InvalidFieldException($"{field}.{at}.sha256", $"no uploaded image has SHA-256 {Echo.Of(image.Sha256)}: upload it first (UploadImage), or send its bytes");
        var copy = new Prompt { Text = prompt.Text };
        copy.Images.AddRange(prompt.Images.Select((im, i) => Resolve(im, $"images[{i}]")));
        copy.Parts.AddRange(prompt.Parts.Select((p, i) => p.KindCase == PromptPart.KindOneofCase.Image ? new PromptPart { Image = Resolve(p.Image, $"parts[{i}].image") } : p));
        return copy;
    }
}
