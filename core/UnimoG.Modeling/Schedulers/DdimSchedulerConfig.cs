using System.Text.Json;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// diffusers' <c>DDIMScheduler</c> configuration (<c>scheduler/scheduler_config.json</c>), with its key
/// names and its v0.31.0 defaults. <see cref="Parse"/> rejects a value we do not implement, naming the key.
/// </summary>
public sealed record DdimSchedulerConfig
{
    public int num_train_timesteps { get; init; } = 1000;
    public double beta_start { get; init; } = 0.0001;
    public double beta_end { get; init; } = 0.02;
    /// <summary><c>linear</c>, <c>scaled_linear</c> or <c>squaredcos_cap_v2</c>; ignored when <see cref="trained_betas"/> is set.</summary>
    public string beta_schedule { get; init; } = "linear";
    public double[]? trained_betas { get; init; }
    public bool clip_sample { get; init; } = true;
    public bool set_alpha_to_one { get; init; } = true;
    public int steps_offset { get; init; }
    /// <summary><c>epsilon</c>, <c>v_prediction</c> or <c>sample</c>.</summary>
    public string prediction_type { get; init; } = "epsilon";
    public bool thresholding { get; init; }
    public double dynamic_thresholding_ratio { get; init; } = 0.995;
    public double clip_sample_range { get; init; } = 1.0;
    public double sample_max_value { get; init; } = 1.0;
    /// <summary><c>leading</c>, <c>trailing</c> or <c>linspace</c> (Table 2 of arXiv:2305.08891).</summary>
    public string timestep_spacing { get; init; } = "leading";
    public bool rescale_betas_zero_snr { get; init; }

    /// <summary>Keys of diffusers' other schedulers that <c>DDIMScheduler.from_config</c> ignores too
    /// (e.g. SD 1.5 ships a PNDM config with <c>skip_prk_steps</c>).</summary>
    public static readonly IReadOnlySet<string> ForeignKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "algorithm_type", "disable_corrector", "euler_at_final", "final_sigmas_type", "interpolation_type",
        "lambda_min_clipped", "lower_order_final", "predict_x0", "rho", "sigma_data", "sigma_max", "sigma_min",
        "sigma_schedule", "skip_prk_steps", "solver_order", "solver_p", "solver_type", "timestep_type",
        "use_beta_sigmas", "use_exponential_sigmas", "use_karras_sigmas", "use_lu_lambdas", "variance_type",
    };

    /// <summary>Reads <c>scheduler_config.json</c> from a scheduler folder, a pipeline folder (its
    /// <c>scheduler/</c> subfolder) or the file itself.</summary>
    public static DdimSchedulerConfig Load(string path)
    {
        var file = File.Exists(path) ? path
            : File.Exists(Path.Combine(path, "scheduler_config.json")) ? Path.Combine(path, "scheduler_config.json")
            : File.Exists(Path.Combine(path, "scheduler", "scheduler_config.json")) ? Path.Combine(path, "scheduler", "scheduler_config.json")
            : throw new FileNotFoundException(
                $"no scheduler_config.json in {path} (looked in the folder itself and in {Path.Combine(path, "scheduler")})", path);
        return Parse(File.ReadAllText(file), file);
    }

    public static DdimSchedulerConfig Parse(string json, string source = "scheduler_config.json")
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON ({e.Message})"); }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: expected a JSON object");

        var c = new DdimSchedulerConfig();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            var v = p.Value;
            string Where() => $"{source}: {p.Name}";
            c = p.Name switch
            {
                "num_train_timesteps" => c with { num_train_timesteps = Int(v, Where()) },
                "beta_start" => c with { beta_start = Number(v, Where()) },
                "beta_end" => c with { beta_end = Number(v, Where()) },
                "beta_schedule" => c with { beta_schedule = OneOf(v, Where(), "linear", "scaled_linear", "squaredcos_cap_v2") },
                "trained_betas" => c with { trained_betas = v.ValueKind == JsonValueKind.Null ? null : Numbers(v, Where()) },
                "clip_sample" => c with { clip_sample = Bool(v, Where()) },
                "set_alpha_to_one" => c with { set_alpha_to_one = Bool(v, Where()) },
                "steps_offset" => c with { steps_offset = Int(v, Where()) },
                "prediction_type" => c with { prediction_type = OneOf(v, Where(), "epsilon", "v_prediction", "sample") },
                "thresholding" => c with { thresholding = Bool(v, Where()) },
                "dynamic_thresholding_ratio" => c with { dynamic_thresholding_ratio = Number(v, Where()) },
                "clip_sample_range" => c with { clip_sample_range = Number(v, Where()) },
                "sample_max_value" => c with { sample_max_value = Number(v, Where()) },
                "timestep_spacing" => c with { timestep_spacing = OneOf(v, Where(), "leading", "trailing", "linspace") },
                "rescale_betas_zero_snr" => c with { rescale_betas_zero_snr = Bool(v, Where()) },
                _ when p.Name.StartsWith('_') || ForeignKeys.Contains(p.Name) => c,
                _ => throw new InvalidDataException($"{Where()}: unknown DDIMScheduler key"),
            };
        }
        c.Validate(source);
        return c;
    }

    /// <summary>Fails on values diffusers would reject or that would index outside the schedule.</summary>
    public void Validate(string source = "scheduler config")
    {
        if (num_train_timesteps < 1) throw new InvalidDataException($"{source}: num_train_timesteps must be >= 1, got {num_train_timesteps}");
        if (trained_betas is { } tb && tb.Length != num_train_timesteps)
            throw new InvalidDataException($"{source}: trained_betas has {tb.Length} values but num_train_timesteps is {num_train_timesteps}");
        if (steps_offset < 0) throw new InvalidDataException($"{source}: steps_offset must be >= 0, got {steps_offset}");
        if (thresholding && dynamic_thresholding_ratio is not (> 0 and <= 1))
            throw new InvalidDataException($"{source}: dynamic_thresholding_ratio must be in (0, 1], got {dynamic_thresholding_ratio}");
        if (thresholding && !(sample_max_value > 0))
            throw new InvalidDataException($"{source}: sample_max_value must be > 0, got {sample_max_value}");
        if (!thresholding && clip_sample && !(clip_sample_range > 0))
            throw new InvalidDataException($"{source}: clip_sample_range must be > 0, got {clip_sample_range}");
        if (beta_schedule is not ("linear" or "scaled_linear" or "squaredcos_cap_v2"))
            throw new InvalidDataException($"{source}: beta_schedule '{beta_schedule}' is not supported (linear, scaled_linear, squaredcos_cap_v2)");
        if (prediction_type is not ("epsilon" or "v_prediction" or "sample"))
            throw new InvalidDataException($"{source}: prediction_type '{prediction_type}' is not supported (epsilon, v_prediction, sample)");
        if (timestep_spacing is not ("leading" or "trailing" or "linspace"))
            throw new InvalidDataException($"{source}: timestep_spacing '{timestep_spacing}' is not supported (leading, trailing, linspace)");
    }

    private static double Number(JsonElement v, string where) =>
        v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new InvalidDataException($"{where}: expected a number, got {Show(v)}");

    private static int Int(JsonElement v, string where)
    {
        var d = Number(v, where);
        return d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue ? (int)d : throw new InvalidDataException($"{where}: expected an integer, got {Show(v)}");
    }

    private static bool Bool(JsonElement v, string where) => v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new InvalidDataException($"{where}: expected true or false, got {Show(v)}"),
    };

    private static string OneOf(JsonElement v, string where, params string[] allowed)
    {
        var s = v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new InvalidDataException($"{where}: expected a string, got {Show(v)}");
        return allowed.Contains(s) ? s : throw new InvalidDataException($"{where}: '{s}' is not supported (expected {string.Join(", ", allowed)})");
    }

    private static double[] Numbers(JsonElement v, string where) =>
        v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select((e, i) => Number(e, $"{where}[{i}]")).ToArray()
            : throw new InvalidDataException($"{where}: expected a list of numbers or null, got {Show(v)}");

    private static string Show(JsonElement v) => v.ValueKind == JsonValueKind.String ? $"\"{v.GetString()}\"" : v.GetRawText();
}
