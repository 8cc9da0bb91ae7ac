using System.Text.Json;
using System.Text.Json.Serialization;

namespace UnimoG.Mini.Bench;

/// <summary>EmojiBench's prompt sets: never mixed, each scored on its own.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EmojiBenchSubset>))]
public enum EmojiBenchSubset
{
    /// <summary>Multimodal prompts over entities the generator was trained on.</summary>
    Seen,
    /// <summary>Multimodal prompts over held-out entities (zero-shot).</summary>
    HeldOut,
    /// <summary>Text-only prompts (the entities' English phrases, no images).</summary>
    Text,
}

/// <summary>How <see cref="EmojiBench.RunAsync"/> runs: the model, the evaluators, the generation settings and the prompt sets.</summary>
public sealed record EmojiBenchOptions
{
    /// <summary>The model folder to benchmark (the diffusers-style layout of docs/services.md).</summary>
    public required string ModelDir { get; init; }
    /// <summary>The evaluator folder (<c>evaluators.json</c> ...); null: <c>models/emojibench-evaluators</c> above the model folder.</summary>
    public string? EvaluatorsDir { get; init; }
    /// <summary>The emoji art (reference images); null: <c>$UNIMOG_EMOJI_ART</c>, else <c>artifacts/emoji</c> (EmojiArt.Locate).</summary>
    public string? ArtDir { get; init; }
    /// <summary>LLaMA-2's tokenizer.model when the model folder cannot find it.</summary>
    public string? TokenizerPath { get; init; }
    /// <summary>A name for the table (default: the model folder's name).</summary>
    public string? Label { get; init; }

    public int ImagesPerPrompt { get; init; } = 4;
    /// <summary>Sampling steps (the paper: 50 DDIM steps).</summary>
    public int Steps { get; init; } = 50;
    /// <summary>The sampler (UnimoG.Data.Sampling.SamplerPresets; the paper's: ddim).</summary>
    public string Sampler { get; init; } = "ddim";
    /// <summary>Classifier-free guidance (the paper: 5.0).</summary>
    public float GuidanceScale { get; init; } = 5f;
    /// <summary>Generation seed: image j of prompt i uses a seed derived from (Seed, subset, i).</summary>
    public ulong Seed { get; init; }
    /// <summary>Seed of the fixed random choice of prompts (keep the default to compare models on the same prompts).</summary>
    public ulong PromptSeed { get; init; } = EmojiBenchPrompts.DefaultSeed;
    public IReadOnlyList<EmojiBenchSubset> Subsets { get; init; } = [EmojiBenchSubset.Seen, EmojiBenchSubset.HeldOut, EmojiBenchSubset.Text];
    /// <summary>Prompts per subset; null: <see cref="EmojiBenchPrompts.DefaultLimit"/>.</summary>
    public int? Limit { get; init; }
    /// <summary>torch threads (0: torch's default).</summary>
    public int Threads { get; init; }
    /// <summary>Where to write the generated images (<c>{subset}/{prompt:000}-{image}.png</c>); null: not written.</summary>
    public string? ImagesDir { get; init; }
    /// <summary>Bootstrap resamples for the 95 % intervals.</summary>
    public int Resamples { get; init; } = 2000;
    /// <summary>Also score the calibration rows (oracle scenes, random scenes): needs the art, costs seconds.</summary>
    public bool ReferenceRows { get; init; } = true;
}

/// <summary>The four metrics of one set of images, each a mean with its bootstrap 95 % interval over prompts (null when undefined, e.g. subject similarity without subjects).</summary>
public sealed record EmojiBenchMetricSet(
    [property: JsonPropertyName("dino")] Interval? Dino,
    [property: JsonPropertyName("clip_i")] Interval? ClipI,
    [property: JsonPropertyName("clip_t")] Interval ClipT,
    [property: JsonPropertyName("recognition")] Interval Recognition);

/// <summary>One row of the table: a subset scored for the model, or a calibration row.</summary>
public sealed record EmojiBenchRow(
    [property: JsonPropertyName("subset")] EmojiBenchSubset Subset,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("prompts")] int Prompts,
    [property: JsonPropertyName("images")] int Images,
    [property: JsonPropertyName("metrics")] EmojiBenchMetricSet Metrics,
    [property: JsonPropertyName("seconds")] double Seconds);

/// <summary>One generated image's scores (for grids and re-aggregation).</summary>
public sealed record EmojiBenchImageScore(
    [property: JsonPropertyName("file")] string? File,
    [property: JsonPropertyName("seed")] ulong Seed,
    [property: JsonPropertyName("dino")] double? Dino,
    [property: JsonPropertyName("clip_i")] double? ClipI,
    [property: JsonPropertyName("clip_t")] double ClipT,
    [property: JsonPropertyName("recognition")] double Recognition);

/// <summary>One prompt as run and scored.</summary>
public sealed record EmojiBenchPromptResult(
    [property: JsonPropertyName("subset")] EmojiBenchSubset Subset,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("template")] int Template,
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("entities")] string[] Entities,
    [property: JsonPropertyName("images")] IReadOnlyList<EmojiBenchImageScore> Images);

/// <summary>What <see cref="EmojiBench.RunAsync"/> measured: the settings, one row per subset for the model, calibration rows, every prompt's scores, times.</summary>
public sealed record EmojiBenchReport
{
    public const string CurrentFormat = "emojibench-report/1";

    [JsonPropertyName("format")] public string Format { get; init; } = CurrentFormat;
    [JsonPropertyName("label")] public required string Label { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("model_untrained")] public bool ModelUntrained { get; init; }
    [JsonPropertyName("evaluators")] public required string Evaluators { get; init; }
    [JsonPropertyName("steps")] public int Steps { get; init; }
    /// <summary>Reports written before samplers existed used DDIM.</summary>
    [JsonPropertyName("sampler")] public string Sampler { get; init; } = "ddim";
    [JsonPropertyName("guidance_scale")] public float GuidanceScale { get; init; }
    [JsonPropertyName("images_per_prompt")] public int ImagesPerPrompt { get; init; }
    [JsonPropertyName("seed")] public ulong Seed { get; init; }
    [JsonPropertyName("prompt_seed")] public ulong PromptSeed { get; init; }
    [JsonPropertyName("resamples")] public int Resamples { get; init; }
    /// <summary>The model's rows, one per subset run.</summary>
    [JsonPropertyName("rows")] public required IReadOnlyList<EmojiBenchRow> Rows { get; init; }
    /// <summary>Calibration rows: the metrics of real EmojiWorld scenes (oracle) and of random scenes, per subset.</summary>
    [JsonPropertyName("reference_rows")] public IReadOnlyList<EmojiBenchRow> ReferenceRows { get; init; } = [];
    [JsonPropertyName("prompts")] public IReadOnlyList<EmojiBenchPromptResult> Prompts { get; init; } = [];
    [JsonPropertyName("generation_seconds")] public double GenerationSeconds { get; init; }
    [JsonPropertyName("scoring_seconds")] public double ScoringSeconds { get; init; }
    [JsonPropertyName("peak_working_set_mb")] public double PeakWorkingSetMb { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public void WriteJson(string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this, Json));
    }

    public static EmojiBenchReport ReadJson(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no such EmojiBench report: {path}", path);
        EmojiBenchReport? report;
        try
        {
            report = JsonSerializer.Deserialize<EmojiBenchReport>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not an EmojiBench report ({e.Message})", e);
        }
        if (report is null) throw new InvalidDataException($"{path} is empty");
        if (report.Format != CurrentFormat) throw new InvalidDataException($"{path}: format '{report.Format}', expected '{CurrentFormat}'");
        return report;
    }

    /// <summary>The model's table (rows per subset) followed by the calibration rows.</summary>
    public string ToMarkdownTable() => EmojiBenchTable.Single(this);
}
