using UnimoG.Modeling.Diffusion;
using UnimoG.Modeling.Encoders;
using UnimoG.Modeling.Schedulers;
using UnimoG.Text.Tokenizers;
using UnimoG.Engines.Trainer.Conditions;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Data.Config;

namespace UnimoG.Engines.Trainer.Training;

/// <summary>
/// The models of a run: the U-Net (trained), the frozen VAE (null when latents are cached and no samples are drawn),
/// the scheduler configuration, and the condition source. The trainer takes ownership and disposes them.
/// </summary>
public sealed class TrainingComponents(UNet2DConditionModel unet, AutoencoderKL? vae, DdimSchedulerConfig scheduler, IConditionSource conditions) : IDisposable
{
    public UNet2DConditionModel UNet { get; } = unet;
    public AutoencoderKL? Vae { get; } = vae;
    public DdimSchedulerConfig Scheduler { get; } = scheduler;
    public IConditionSource Conditions { get; } = conditions;

    /// <summary>
    /// Builds everything a configuration names from files (and the Encoder service: through
    /// <paramref name="encoderService"/> when the host gives one, else a channel to <c>conditions.address</c>).
    /// </summary>
    public static TrainingComponents Load(TrainingConfig config) => Load(config, null);

    /// <inheritdoc cref="Load(TrainingConfig)"/>
    public static TrainingComponents Load(TrainingConfig config, Func<ConditionSettings, IConditionSource>? encoderService)
    {
        var m = config.Model;
        UNet2DConditionModel? unet = null;
        AutoencoderKL? vae = null;
        IConditionSource? conditions = null;
        try
        {
            var at = config.Location["model"];
            if (m.UNet is not null) unet = ConfigPaths.Open(at["unet"], () => UNet2DConditionModel.FromPretrained(m.UNet));
            else
            {
                unet = new UNet2DConditionModel(m.UNetConfig!.Value);
                WeightInit.Reset(unet, config.Seed);
            }
            if (m.Vae is not null) vae = ConfigPaths.Open(at["vae"], () => AutoencoderKL.FromPretrained(m.Vae));
            var scheduler = m.Scheduler?.Value ?? new DdimSchedulerConfig();
            if (m.PredictionType is { } pt) scheduler = scheduler with { PredictionType = pt };
            if (scheduler.PredictionType is not ("epsilon" or "v_prediction"))
                throw at["prediction_type"].Error($"training supports epsilon and v_prediction, the scheduler says '{scheduler.PredictionType}'");
            conditions = LoadConditions(config.Conditions, config.Location["conditions"], encoderService);
            var width = unet.Config.CrossAttentionDim.At(0);
            if (conditions.Width != width)
                throw config.Location["conditions"].Error($"{conditions.Description} gives hidden states of width {conditions.Width}, the U-Net's cross_attention_dim is {width}");
            return new TrainingComponents(unet, vae, scheduler, conditions);
        }
        catch
        {
            unet?.Dispose();
            vae?.Dispose();
            conditions?.Dispose();
            throw;
        }
    }

    /// <param name="at">Where <paramref name="c"/> sits in its config file (errors name it).</param>
    public static IConditionSource LoadConditions(ConditionSettings c, ConfigLocation at, Func<ConditionSettings, IConditionSource>? encoderService = null)
    {
        switch (c.Source)
        {
            case "cache":
                return ConfigPaths.Open(at["cache"], () => new CachedConditions(c.Cache!));
            case "service":
                return encoderService?.Invoke(c) ?? EncoderServiceConditions.ForAddress(c.Address!, c.Model, c.RequestBatch);
        }
        // Before the tokenizer, which is looked for inside it: a wrong encoder path is the encoder key's error.
        if (!Directory.Exists(c.Encoder))
            throw new DirectoryNotFoundException($"{at.File}: {at["encoder"].Key}: encoder folder not found: {c.Encoder}");
        if (c.EncoderKind == "clip")
        {
            var model = ConfigPaths.Open(at["encoder"], () => ClipTextModel.FromPretrained(c.Encoder!));
            var tokenizerPath = c.Tokenizer ?? Path.Combine(Path.GetDirectoryName(c.Encoder!.TrimEnd('/'))!, "tokenizer");
            var tokenizer = ConfigPaths.Open(at["tokenizer"], () => TextTokenizers.LoadClip(tokenizerPath));
            return new ClipConditions(new ClipTextConditioner(model, text => tokenizer.Encode(text)));
        }
        var tok = c.Tokenizer ?? Path.Combine(c.Encoder!, "tokenizer", "tokenizer.model");
        if (!File.Exists(tok)) throw at["tokenizer"].Error($"the MLLM's LLaMA tokenizer was not found at {tok}");
        var llama = ConfigPaths.Open(at["tokenizer"], () => LlamaSentencePieceTokenizer.FromFile(tok).ForMllm());
        var encoder = ConfigPaths.Open(at["encoder"], () => MllmFolder.Load(c.Encoder!, llama));
        return new MllmConditions(encoder, c.ConditionLayer);
    }

    public void Dispose()
    {
        UNet.Dispose();
        Vae?.Dispose();
        Conditions.Dispose();
    }
}
