using UnimoG.Data.Config;
using UnimoG.Modeling.Schedulers;
using UnimoG.TestSupport;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Schedulers;

/// <summary>Configs and helpers the sigma-based scheduler tests share.</summary>
internal static class SchedulerTestConfigs
{
    /// <summary>The mini model's DDIM config: Stable Diffusion's scaled_linear 0.00085..0.012, leading spacing, steps_offset 1.</summary>
    public static readonly string MiniSchedulerFile = Path.Combine(RepoPaths.Root, "models", "unimog-mini", "scheduler", "scheduler_config.json");

    public static DdimSchedulerConfig Mini() => DdimSchedulerConfig.Load(MiniSchedulerFile);

    public static SamplerCatalog MiniCatalog() => new(Mini());

    /// <summary>Stable Diffusion's training schedule plus <paramref name="keys"/> (JSON members without braces).</summary>
    public static string Sd(string keys = "") =>
        $$"""{"num_train_timesteps": 1000, "beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012{{(keys.Length > 0 ? ", " + keys : "")}}}""";

    public static T Parse<T>(string json) where T : class => ConfigJson.Parse<T>(json, "scheduler_config.json");

    /// <summary>A noise source drawing from its own generator, as a request's seed gives.</summary>
    public static NoiseSource Seeded(ulong seed)
    {
        var g = new Generator(seed);
        return shape => randn(shape, generator: g);
    }

    /// <summary>
    /// Runs <paramref name="run"/> to its end from <paramref name="start"/> with the model outputs drawn from
    /// <paramref name="outputs"/> (one per step, [rows, ...]); returns the final sample (the caller owns it).
    /// </summary>
    public static Tensor RunToEnd(SchedulerRun run, Tensor start, Generator outputs)
    {
        var x = start.clone();
        while (!run.Finished)
        {
            using var mo = randn(x.shape, generator: outputs);
            using var step = run.Step(mo, x);
            x.Dispose();
            x = step.PrevSample.clone();
        }
        return x;
    }
}
