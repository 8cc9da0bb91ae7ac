using System.Text.Json.Nodes;

namespace UnimoG.Cli.Recipe;

/// <summary>
/// The U-Net stages' training configurations (docs/training.md), written by the recipe to <c>{work}/configs/*.json</c>
/// so each run can also be repeated by hand with <c>unimog train --config</c>.
/// </summary>
internal static class UNetConfigs
{
    /// <summary>Prompts drawn into every run's sample grids (text only: the trainer's grids take strings).</summary>
    public static readonly string[] SamplePrompts = ["a dog wearing a top hat", "a penguin is eating pizza", "一只猫戴着眼镜"];

    /// <summary>Stage 1: captions, English and Chinese mixed (each scene twice), from scratch; also the w/o Tuning model.</summary>
    public static JsonObject Stage1(MiniRecipe r, MiniRecipeOptions o, bool forCache = false)
    {
        var steps = o.Steps1;
        var config = Common(r, o, "unet-stage1", "conditions-stage1");
        config["model"]!["unet_config"] = JsonNode.Parse(o.UNetConfigJson ?? UnimoG.Mini.MiniConfigs.UNetJson);
        config["optimizer"] = new JsonObject { ["learning_rate"] = o.Stage1LearningRate, ["weight_decay"] = 0.01, ["max_grad_norm"] = 1.0 };
        config["lr_schedule"] = new JsonObject { ["kind"] = "cosine", ["warmup_steps"] = Math.Min(100, steps / 5), ["min_lr_ratio"] = 0.1 };
        config["ema"] = new JsonObject { ["decay"] = 0.9999, ["use_ema_warmup"] = true, ["power"] = 2.0 / 3 };
        var phases = new JsonArray(new JsonObject
        {
            ["name"] = "captions",
            ["data"] = new JsonObject { ["kind"] = "emojiworld", ["path"] = r.Data("emojiworld-train"), ["caption"] = "en+zh", ["limit"] = o.Stage1Scenes },
            ["steps"] = steps, ["resolution"] = 64,
        });
        // The latent cache covers stage 2's samples too (data preparation keeps each scene's key and image).
        if (forCache) phases.Add(Stage2Phase(r, o));
        config["phases"] = phases;
        config["samples"] = Samples(steps);
        return config;
    }

    /// <summary>Stage 2 from stage 1's exported weights; <paramref name="lambda"/> 0 is the w/o VisualEnh ablation.</summary>
    public static JsonObject Stage2(MiniRecipe r, MiniRecipeOptions o, double lambda, string run)
    {
        var config = Common(r, o, run, "conditions-stage2");
        config["model"]!["unet"] = Path.Combine(r.Run("unet-stage1"), "unet");
        config["optimizer"] = new JsonObject { ["learning_rate"] = o.Stage2LearningRate, ["weight_decay"] = 0.01, ["max_grad_norm"] = 1.0 };
        config["lr_schedule"] = new JsonObject { ["kind"] = "constant", ["warmup_steps"] = Math.Min(20, o.Steps2 / 5) };
        config["ema"] = new JsonObject { ["decay"] = 0.999, ["use_ema_warmup"] = true, ["power"] = 2.0 / 3 };
        config["phases"] = new JsonArray(Stage2Phase(r, o));
        if (lambda > 0)
            config["attention_loss"] = new JsonObject
            {
                ["lambda"] = lambda, ["max_resolution"] = 8, ["tokens"] = "sum", ["heads"] = "mean", ["mask_resize"] = "area", ["layer_reduction"] = "mean",
            };
        config["samples"] = Samples(o.Steps2);
        return config;
    }

    private static JsonObject Stage2Phase(MiniRecipe r, MiniRecipeOptions o) => new()
    {
        ["name"] = "tuning",
        // data preparation already kept 10 % of the samples as plain captions: no further text-only draws.
        ["data"] = new JsonObject { ["kind"] = "prepared", ["path"] = r.Data("emojiworld-prepared"), ["text_only_share"] = 0.0, ["limit"] = o.Stage2Samples },
        ["steps"] = o.Steps2, ["resolution"] = 64,
    };

    private static JsonObject Common(MiniRecipe r, MiniRecipeOptions o, string run, string conditions) => new()
    {
        ["output_dir"] = r.Run(run),
        ["seed"] = o.Seed,
        ["threads"] = o.Threads,
        ["model"] = new JsonObject
        {
            // The runs' own exports (the staging folder holds copies): the caches can start as soon as each run is done.
            ["vae"] = Path.Combine(r.Run("vae"), "vae"),
            ["scheduler"] = JsonNode.Parse(UnimoG.Modeling.Configs.DiffusionConfigs.Sd15SchedulerJson),
        },
        ["conditions"] = new JsonObject { ["source"] = "cache", ["cache"] = r.W("cache", conditions), ["encoder"] = Path.Combine(r.Run("mllm"), "mllm") },
        ["latent_cache"] = r.W("cache", "latents"),
        ["batch_size"] = o.Batch,
        ["condition_dropout"] = 0.1,
        ["buckets"] = new JsonArray(1.0),
        ["checkpoints"] = new JsonObject { ["every"] = 200, ["keep_last"] = 2 },
        ["log_every"] = 25,
    };

    private static JsonObject Samples(long steps) => new()
    {
        ["every"] = Math.Max(1, steps / 2), ["prompts"] = new JsonArray(SamplePrompts.Select(p => (JsonNode)p).ToArray()),
        ["steps"] = 20, ["guidance_scale"] = 5.0, ["seed"] = 0,
    };
}
