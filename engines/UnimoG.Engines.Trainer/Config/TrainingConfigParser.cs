using System.Text.Json;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>JSON -> <see cref="TrainingConfig"/>, validating every key and naming the offending one.</summary>
internal static class TrainingConfigParser
{
    public static TrainingConfig Parse(string json, string baseDir)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new TrainingConfigException("(root)", $"not valid JSON: {ex.Message}");
        }
        using var owned = doc;
        var root = new JsonFields(doc.RootElement, "");
        string? PathOf(JsonFields f, string key) => f.String(key) is { } p ? Path.GetFullPath(Path.Combine(baseDir, p)) : null;

        var model = root.Object("model") ?? throw new TrainingConfigException("model", "is required");
        string? unetConfigJson = null, unetConfigSource = null;
        if (model.Raw("unet_config") is { } uc)
        {
            if (uc.ValueKind == JsonValueKind.String)
            {
                unetConfigSource = Path.GetFullPath(Path.Combine(baseDir, uc.GetString()!));
                if (!File.Exists(unetConfigSource)) throw new TrainingConfigException("model.unet_config", $"file not found: {unetConfigSource}");
                unetConfigJson = File.ReadAllText(unetConfigSource);
            }
            else if (uc.ValueKind == JsonValueKind.Object)
            {
                unetConfigJson = uc.GetRawText();
                unetConfigSource = "model.unet_config";
            }
            else throw new TrainingConfigException("model.unet_config", "must be a path or a JSON object");
        }
        string? schedulerPath = null, schedulerJson = null;
        if (model.Raw("scheduler") is { } sc)
        {
            if (sc.ValueKind == JsonValueKind.String) schedulerPath = Path.GetFullPath(Path.Combine(baseDir, sc.GetString()!));
            else if (sc.ValueKind == JsonValueKind.Object) schedulerJson = sc.GetRawText();
            else throw new TrainingConfigException("model.scheduler", "must be a path or a JSON object");
        }
        var models = new ModelSettings
        {
            UNet = PathOf(model, "unet"),
            UNetConfigJson = unetConfigJson,
            UNetConfigSource = unetConfigSource,
            Vae = PathOf(model, "vae"),
            Scheduler = schedulerPath,
            SchedulerJson = schedulerJson,
            PredictionType = model.Has("prediction_type") ? model.Choice("prediction_type", "epsilon", "epsilon", "v_prediction") : model.String("prediction_type"),
        };
        model.RejectUnknown();
        if (models.UNet is null && models.UNetConfigJson is null)
            throw new TrainingConfigException("model.unet", "give the U-Net to start from (model.unet) or its configuration to train from scratch (model.unet_config)");

        var c = root.Object("conditions") ?? throw new TrainingConfigException("conditions", "is required");
        var conditions = new ConditionSettings
        {
            Source = c.Choice("source", "encoder", "encoder", "cache", "service"),
            EncoderKind = c.Choice("encoder_kind", "mllm", "mllm", "clip"),
            Encoder = PathOf(c, "encoder"),
            Tokenizer = PathOf(c, "tokenizer"),
            ConditionLayer = c.OptionalInt("condition_layer"),
            Cache = PathOf(c, "cache"),
            Address = c.String("address"),
            Model = c.String("model", "")!,
            RequestBatch = c.Int("request_batch", 32, 1, 4096),
        };
        c.RejectUnknown();
        switch (conditions.Source)
        {
            case "encoder" when conditions.Encoder is null: throw new TrainingConfigException("conditions.encoder", "is required when conditions.source is \"encoder\"");
            case "cache" when conditions.Cache is null: throw new TrainingConfigException("conditions.cache", "is required when conditions.source is \"cache\"");
            case "service" when string.IsNullOrEmpty(conditions.Address): throw new TrainingConfigException("conditions.address", "is required when conditions.source is \"service\"");
        }
        if (conditions.Address is { } addr && !Uri.TryCreate(addr, UriKind.Absolute, out _))
            throw new TrainingConfigException("conditions.address", $"must be an absolute URI such as http://127.0.0.1:5000, got \"{addr}\"");

        var o = root.Object("optimizer");
        var optimizer = new OptimizerSettings();
        if (o is not null)
        {
            optimizer = new OptimizerSettings
            {
                LearningRate = o.Double("learning_rate", optimizer.LearningRate, 0, 10),
                WeightDecay = o.Double("weight_decay", optimizer.WeightDecay, 0, 10),
                Beta1 = o.Double("beta1", optimizer.Beta1, 0, 0.999999),
                Beta2 = o.Double("beta2", optimizer.Beta2, 0, 0.999999999),
                Eps = o.Double("eps", optimizer.Eps, 1e-30, 1),
                MaxGradNorm = o.Double("max_grad_norm", 1.0, 0),
            };
            o.RejectUnknown();
        }

        var s = root.Object("lr_schedule");
        var schedule = new ScheduleSettings();
        if (s is not null)
        {
            schedule = new ScheduleSettings
            {
                Kind = s.Choice("kind", "constant", "constant", "cosine"),
                WarmupSteps = s.Int("warmup_steps", 0, 0),
                MinLrRatio = s.Double("min_lr_ratio", 0, 0, 1),
            };
            s.RejectUnknown();
        }

        var e = root.Object("ema");
        var ema = new EmaSettings();
        if (e is not null)
        {
            ema = new EmaSettings
            {
                Enabled = e.Bool("enabled", true),
                Decay = e.Double("decay", ema.Decay, 0, 1),
                MinDecay = e.Double("min_decay", 0, 0, 1),
                UpdateAfterStep = e.Int("update_after_step", 0, 0),
                UseWarmup = e.Bool("use_ema_warmup", true),
                InvGamma = e.Double("inv_gamma", 1.0, 1e-12),
                Power = e.Double("power", 2.0 / 3.0, 1e-12),
            };
            e.RejectUnknown();
        }

        var phases = new List<PhaseSettings>();
        var phaseItems = root.Array("phases") ?? throw new TrainingConfigException("phases", "is required: a list of {data, steps, resolution[, learning_rate, batch_size, name]}");
        if (phaseItems.Count == 0) throw new TrainingConfigException("phases", "must hold at least one phase");
        for (var i = 0; i < phaseItems.Count; i++)
        {
            var p = new JsonFields(phaseItems[i], $"phases[{i}]");
            var d = p.Object("data") ?? throw new TrainingConfigException($"phases[{i}].data", "is required");
            var data = new DataSettings
            {
                Kind = d.Choice("kind", "emojiworld", "emojiworld", "prepared"),
                Path = PathOf(d, "path") ?? throw new TrainingConfigException($"phases[{i}].data.path", "is required"),
                Caption = d.Choice("caption", "en", "en", "zh", "en+zh", "txt"),
                TextOnlyShare = d.Double("text_only_share", 0.1, 0, 1),
                Limit = d.Int("limit", 0, 0),
            };
            d.RejectUnknown();
            phases.Add(new PhaseSettings
            {
                Name = p.String("name", $"phase{i + 1}")!,
                Data = data,
                Steps = p.Int("steps", 0, 1),
                Resolution = p.Int("resolution", 64, 8, 8192),
                LearningRate = p.OptionalDouble("learning_rate", 0, 10),
                BatchSize = p.OptionalInt("batch_size", 1, 65536),
            });
            if (!p.Has("steps")) throw new TrainingConfigException($"phases[{i}].steps", "is required");
            p.RejectUnknown();
        }

        AttentionLossSettings? attn = null;
        if (root.Object("attention_loss") is { } a)
        {
            attn = new AttentionLossSettings
            {
                Lambda = a.Double("lambda", 0, 0),
                Layers = a.Strings("layers"),
                MaxResolution = a.OptionalInt("max_resolution", 1),
                Tokens = a.Choice("tokens", "sum", "sum", "mean", "max"),
                Heads = a.Choice("heads", "mean", "mean", "max"),
                MaskResize = a.Choice("mask_resize", "area", "area", "bilinear", "nearest"),
                LayerReduction = a.Choice("layer_reduction", "mean", "mean", "sum"),
            };
            a.RejectUnknown();
            if (attn.Layers is not null && attn.MaxResolution is not null)
                throw new TrainingConfigException("attention_loss.max_resolution", "give either attention_loss.layers or attention_loss.max_resolution, not both");
        }

        var ck = root.Object("checkpoints");
        var checkpoints = new CheckpointSettings();
        if (ck is not null)
        {
            checkpoints = new CheckpointSettings { Every = ck.Int("every", 500, 0), KeepLast = ck.Int("keep_last", 3, 1) };
            ck.RejectUnknown();
        }

        var sm = root.Object("samples");
        var samples = new SampleSettings();
        if (sm is not null)
        {
            samples = new SampleSettings
            {
                Every = sm.Int("every", 0, 0),
                Prompts = sm.Strings("prompts") ?? [],
                Steps = sm.Int("steps", 20, 1, 1000),
                GuidanceScale = sm.Double("guidance_scale", 5.0, 0, 100),
                Seed = sm.Long("seed", 0),
                Resolution = sm.OptionalInt("resolution", 8, 8192),
            };
            sm.RejectUnknown();
            if (samples.Every > 0 && samples.Prompts.Count == 0)
                throw new TrainingConfigException("samples.prompts", "must list at least one prompt when samples.every > 0");
        }

        var buckets = root.Doubles("buckets") ?? [0.5, 0.75, 1.0, 1.5, 2.0];
        for (var i = 0; i < buckets.Count; i++)
            if (!(buckets[i] > 0.05 && buckets[i] < 20)) throw new TrainingConfigException($"buckets[{i}]", $"must be an aspect ratio (width / height) between 0.05 and 20, got {buckets[i]}");
        if (buckets.Count == 0) throw new TrainingConfigException("buckets", "must hold at least one aspect ratio");

        var config = new TrainingConfig
        {
            OutputDir = PathOf(root, "output_dir") ?? throw new TrainingConfigException("output_dir", "is required"),
            Seed = root.Long("seed", 0),
            Threads = root.OptionalInt("threads", 1, 1024),
            Device = root.Choice("device", "cpu", "cpu", "cuda"),
            MixedPrecision = root.Choice("mixed_precision", "no", "no", "bf16"),
            Model = models,
            Conditions = conditions,
            LatentCache = PathOf(root, "latent_cache"),
            Optimizer = optimizer,
            Schedule = schedule,
            BatchSize = root.Int("batch_size", 8, 1, 65536),
            GradientAccumulationSteps = root.Int("gradient_accumulation_steps", 1, 1, 65536),
            ConditionDropout = root.Double("condition_dropout", 0.1, 0, 1),
            Ema = ema,
            Buckets = buckets,
            Phases = phases,
            AttentionLoss = attn,
            Checkpoints = checkpoints,
            LogEvery = root.Int("log_every", 10, 1),
            OverfitOneBatch = root.Bool("overfit_one_batch", false),
            Samples = samples,
            SourceJson = json,
        };
        root.RejectUnknown();
        if (config.MixedPrecision == "bf16")
            throw new TrainingConfigException("mixed_precision", config.Device != "cuda"
                ? "\"bf16\" is for CUDA devices; on the CPU train in float32 (bfloat16 is slower than float32 there)"
                : "\"bf16\" autocast is not available: TorchSharp 0.107 has no torch.autocast (see docs/training.md); train in float32");
        if (config.Model.Vae is null && config.LatentCache is null)
            throw new TrainingConfigException("model.vae", "is required unless latents come from a cache (latent_cache)");
        if (config.Samples.Every > 0 && config.Model.Vae is null)
            throw new TrainingConfigException("samples.every", "sample images need the VAE (model.vae) to decode them");
        return config;
    }
}
