using System.Diagnostics;
using Google.Protobuf;
using UnimoG.Contracts.V1;
using UnimoG.EmojiWorld;
using UnimoG.Engines.Gateway;
using UnimoG.Imaging;
using UnimoG.Engines.InProcess;
using UnimoG.Engines.Inference;
using UnimoG.Mini.Evaluators;

namespace UnimoG.Mini.Bench;

public static partial class EmojiBench
{
    /// <summary>Where the evaluators live in a checkout.</summary>
    public const string DefaultEvaluators = "models/emojibench-evaluators";

    /// <summary>
    /// Runs EmojiBench: for each subset, its prompts (<see cref="EmojiBenchPrompts.Generate"/>), each generated
    /// <see cref="EmojiBenchOptions.ImagesPerPrompt"/> times by the in-process generation pipeline (the same code as
    /// <c>unimog generate</c>), with the entities' reference images on white as the &lt;imgN&gt; inputs; every image
    /// scored by the evaluators; the means with bootstrap 95 % intervals over prompts; and, when asked, the calibration
    /// rows (oracle and random EmojiWorld scenes) for the same prompts.
    /// </summary>
    public static async Task<EmojiBenchReport> RunAsync(EmojiBenchOptions options, Action<string> log, CancellationToken ct)
    {
        Validate(options);
        var limit = options.Limit ?? EmojiBenchPrompts.DefaultLimit;
        var evaluatorsDir = ResolveEvaluators(options);
        using var art = EmojiArt.Open(options.ArtDir);
        var catalog = EmojiCatalog.Default;
        using var evaluators = EvaluatorSet.Load(evaluatorsDir);
        log($"evaluators {evaluatorsDir}; art {art.Folder}");

        var rows = new List<EmojiBenchRow>();
        var references = new List<EmojiBenchRow>();
        var results = new List<EmojiBenchPromptResult>();
        double generationSeconds = 0, scoringSeconds = 0;
        bool untrained;
        var model = new ModelOptions { Path = options.ModelDir, Threads = options.Threads, TokenizerPath = options.TokenizerPath };
        var gateway = new GatewayOptions { MaxNumImages = Math.Max(options.ImagesPerPrompt, 4), MaxSteps = Math.Max(options.Steps, 200) };
        log($"loading {options.ModelDir} (every service in this process)");
        using (var local = OneProcess.Load(options.ModelDir, model, gateway))
        {
            var info = await local.Pipeline.ModelAsync(ct).ConfigureAwait(false);
            untrained = info.Untrained;
            if (untrained) log($"warning: model '{info.Model}' is UNTRAINED (random weights): its rows measure noise");
            foreach (var subset in options.Subsets.Distinct())
            {
                var prompts = EmojiBenchPrompts.Generate(catalog, subset, limit, options.PromptSeed);
                log($"{EmojiBenchTable.SubsetName(subset)}: {prompts.Count} prompts x {options.ImagesPerPrompt} images (full product {EmojiBenchPrompts.FullSize(catalog, subset, options.PromptSeed)})");
                var subjects = new SubjectImages(art);
                var generated = new List<(EmojiBenchPrompt Prompt, ulong Seed, IReadOnlyList<byte[]> Rgb, string?[] Files)>();
                var clock = Stopwatch.StartNew();
                foreach (var p in prompts)
                {
                    ct.ThrowIfCancellationRequested();
                    var seed = PromptSeed(options.Seed, subset, p.Index);
                    var pngs = await GenerateAsync(local, options, p, subjects, seed, ct).ConfigureAwait(false);
                    var files = WriteImages(options.ImagesDir, p, pngs);
                    generated.Add((p, seed, pngs.Select(ToRgb).ToList(), files));
                    if ((p.Index + 1) % 5 == 0 || p.Index + 1 == prompts.Count)
                        log($"  {EmojiBenchTable.SubsetName(subset)}: {p.Index + 1}/{prompts.Count} prompts ({clock.Elapsed.TotalSeconds / (p.Index + 1):0.0} s per prompt)");
                }
                var genSeconds = clock.Elapsed.TotalSeconds;
                generationSeconds += genSeconds;

                clock.Restart();
                var scored = Score(evaluators, subjects, generated.Select(g => (g.Prompt, g.Rgb)).ToList());
                scoringSeconds += clock.Elapsed.TotalSeconds;
                rows.Add(Row(subset, "model", scored, options.Resamples, genSeconds + clock.Elapsed.TotalSeconds));
                for (var i = 0; i < generated.Count; i++)
                {
                    var (p, seed, _, files) = generated[i];
                    results.Add(new EmojiBenchPromptResult(subset, p.Index, p.Template, p.Prompt, p.Text, p.Entities.Select(e => e.Hex).ToArray(),
                        scored[i].Scores.Select((s, j) => s with { File = files[j], Seed = seed }).ToList()));
                }
                if (options.ReferenceRows)
                    references.AddRange(CalibrationRows(options, art, catalog, subset, prompts, evaluators, subjects, log));
                log($"  {EmojiBenchTable.SubsetName(subset)}: {Summary(rows[^1])}");
            }
        }
        return new EmojiBenchReport
        {
            Label = options.Label ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.ModelDir))),
            Model = Path.GetFullPath(options.ModelDir),
            ModelUntrained = untrained,
            Evaluators = Path.GetFullPath(evaluatorsDir),
            Steps = options.Steps, Sampler = options.Sampler, GuidanceScale = options.GuidanceScale, ImagesPerPrompt = options.ImagesPerPrompt,
            Seed = options.Seed, PromptSeed = options.PromptSeed, Resamples = options.Resamples,
            Rows = rows, ReferenceRows = references, Prompts = results,
            GenerationSeconds = generationSeconds, ScoringSeconds = scoringSeconds,
            PeakWorkingSetMb = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0),
        };
    }

    /// <summary>The oracle and random rows for the same prompts; each row's time covers drawing and scoring its scenes.</summary>
    private static List<EmojiBenchRow> CalibrationRows(EmojiBenchOptions options, EmojiArt art, EmojiCatalog catalog, EmojiBenchSubset subset,
        IReadOnlyList<EmojiBenchPrompt> prompts, EvaluatorSet evaluators, SubjectImages subjects, Action<string> log)
    {
        var rows = new List<EmojiBenchRow>();
        var total = Stopwatch.StartNew();
        var clock = Stopwatch.StartNew();
        foreach (var (source, scenes) in EmojiBenchCalibration.Scenes(art, catalog, subset, prompts, options.ImagesPerPrompt, options.PromptSeed))
        {
            // The scenes are drawn as the enumeration reaches them: this clock covers drawing and scoring.
            rows.Add(Row(subset, source, Score(evaluators, subjects, prompts.Zip(scenes).Select(x => (x.First, x.Second)).ToList()), options.Resamples, clock.Elapsed.TotalSeconds));
            clock.Restart();
        }
        log($"  {EmojiBenchTable.SubsetName(subset)}: calibration rows in {total.Elapsed.TotalSeconds:0.0} s");
        return rows;
    }

    /// <summary>The generation seed of prompt <paramref name="index"/> of a subset: its images are that request's images 0..n-1.</summary>
    public static ulong PromptSeed(ulong seed, EmojiBenchSubset subset, int index) =>
        EmojiBenchPrompts.Mix(seed, (ulong)subset + 1, (ulong)index + 1) >> 1;   // below 2^63: any client can send it

    public static void Validate(EmojiBenchOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.ModelDir)) throw new ArgumentException("ModelDir: give the model folder to benchmark");
        if (!Directory.Exists(o.ModelDir)) throw new DirectoryNotFoundException($"ModelDir: model folder not found: {o.ModelDir}");
        if (o.ImagesPerPrompt is < 1 or > 16) throw new ArgumentOutOfRangeException(nameof(o.ImagesPerPrompt), o.ImagesPerPrompt, "ImagesPerPrompt: must be 1..16");
        if (o.Steps is < 1 or > 1000) throw new ArgumentOutOfRangeException(nameof(o.Steps), o.Steps, "Steps: must be 1..1000");
        if (!float.IsFinite(o.GuidanceScale) || o.GuidanceScale < 0) throw new ArgumentOutOfRangeException(nameof(o.GuidanceScale), o.GuidanceScale, "GuidanceScale: must be finite and >= 0");
        if (o.Limit is < 1) throw new ArgumentOutOfRangeException(nameof(o.Limit), o.Limit, "Limit: must be at least 1 prompt per subset");
        if (o.Subsets.Count == 0) throw new ArgumentException("Subsets: name at least one subset");
        if (o.Resamples < 10) throw new ArgumentOutOfRangeException(nameof(o.Resamples), o.Resamples, "Resamples: use at least 10");
    }

    /// <summary>The evaluator folder: the option, else <c>models/emojibench-evaluators</c> in the current folder or above, or above the model folder.</summary>
    public static string ResolveEvaluators(EmojiBenchOptions o)
    {
        if (o.EvaluatorsDir is { Length: > 0 } given)
            return File.Exists(Path.Combine(given, EvaluatorManifest.FileName))
                ? given
                : throw new FileNotFoundException($"EvaluatorsDir: {given} holds no {EvaluatorManifest.FileName} (train them with `unimog mini train-evaluators`)", Path.Combine(given, EvaluatorManifest.FileName));
        foreach (var start in new[] { Directory.GetCurrentDirectory(), Path.GetFullPath(o.ModelDir) })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, DefaultEvaluators);
                if (File.Exists(Path.Combine(candidate, EvaluatorManifest.FileName))) return candidate;
            }
        throw new FileNotFoundException($"EvaluatorsDir: no {DefaultEvaluators}/{EvaluatorManifest.FileName} here, above, or above the model folder: pass --evaluators DIR (train them with `unimog mini train-evaluators`)");
    }

    internal static async Task<IReadOnlyList<byte[]>> GenerateAsync(OneProcess local, EmojiBenchOptions o, EmojiBenchPrompt p, SubjectImages subjects, ulong seed, CancellationToken ct)
    {
        var request = new GenerateRequest
        {
            Prompt = new Prompt { Text = p.Prompt },
            Steps = o.Steps, Sampler = o.Sampler, GuidanceScale = o.GuidanceScale, NumImages = o.ImagesPerPrompt, Seed = seed, Eta = 0,
        };
        foreach (var e in p.ImageEntities)
            request.Prompt.Images.Add(new ImageInput { Data = ByteString.CopyFrom(subjects.Png(e.Hex)) });
        var images = new byte[o.ImagesPerPrompt][];
        await foreach (var ev in local.Pipeline.GenerateAsync(request, $"emojibench-{p.Subset}-{p.Index}", ct).ConfigureAwait(false))
            if (ev.EventCase == GenerateEvent.EventOneofCase.Image)
                images[ev.Image.Index] = ev.Image.Png.ToByteArray();
        return images.Select((b, i) => b ?? throw new InvalidOperationException($"prompt {p.Index}: the pipeline returned no image {i}")).ToList();
    }

    internal static byte[] ToRgb(byte[] png)
    {
        var image = ImageDecoder.Decode(png);
        if (image.Width != Data.Images.N || image.Height != Data.Images.N)
            throw new InvalidDataException($"the model generated {image.Width}x{image.Height} images; EmojiBench's evaluators take {Data.Images.N}x{Data.Images.N}");
        return image.ToRgb(Rgb.White);
    }

    private static string?[] WriteImages(string? dir, EmojiBenchPrompt p, IReadOnlyList<byte[]> pngs)
    {
        if (dir is null) return new string?[pngs.Count];
        var sub = EmojiBenchTable.SubsetName(p.Subset);
        Directory.CreateDirectory(Path.Combine(dir, sub));
        return pngs.Select((png, j) =>
        {
            var file = Path.Combine(sub, $"{p.Index:000}-{j}.png");
            File.WriteAllBytes(Path.Combine(dir, file), png);
            return (string?)file;
        }).ToArray();
    }

    /// <summary>Scores every image of every prompt (evaluator batches of about 64 images); per prompt, its images' scores.</summary>
    internal static List<(EmojiBenchPrompt Prompt, IReadOnlyList<EmojiBenchImageScore> Scores)> Score(
        EvaluatorSet evaluators, SubjectImages subjects, IReadOnlyList<(EmojiBenchPrompt Prompt, IReadOnlyList<byte[]> Rgb)> sets)
    {
        var result = new List<(EmojiBenchPrompt, IReadOnlyList<EmojiBenchImageScore>)>();
        const int batchImages = 64;
        for (var start = 0; start < sets.Count;)
        {
            var chunk = new List<(EmojiBenchPrompt Prompt, IReadOnlyList<byte[]> Rgb)>();
            var count = 0;
            while (start < sets.Count && (chunk.Count == 0 || count + sets[start].Rgb.Count <= batchImages))
            {
                chunk.Add(sets[start]);
                count += sets[start++].Rgb.Count;
            }
            // Subject references of this chunk, each once.
            var hexes = chunk.SelectMany(c => c.Prompt.Entities.Select(e => e.Hex)).Distinct().ToList();
            var images = chunk.SelectMany(c => c.Rgb.Select(rgb => new ScoredImage(rgb,
                c.Prompt.Entities.Select(e => hexes.IndexOf(e.Hex)).ToArray(), c.Prompt.Text, c.Prompt.Entities.Select(e => e.Hex).ToArray()))).ToList();
            var s = EmojiBenchMetrics.Score(evaluators, images, hexes.Select(subjects.Rgb).ToList());
            var k = 0;
            foreach (var c in chunk)
            {
                var list = new List<EmojiBenchImageScore>();
                foreach (var _ in c.Rgb)
                {
                    list.Add(new EmojiBenchImageScore(null, 0, Defined(s.Dino[k]), Defined(s.ClipI[k]), s.ClipT[k], s.Recognition[k]));
                    k++;
                }
                result.Add((c.Prompt, list));
            }
        }
        return result;
    }

    private static double? Defined(double v) => double.IsNaN(v) ? null : v;

    /// <summary>A table row: each metric's mean over all images with its bootstrap interval over prompts (seeded: the same scores give the same row).</summary>
    public static EmojiBenchRow Row(EmojiBenchSubset subset, string source, IReadOnlyList<(EmojiBenchPrompt Prompt, IReadOnlyList<EmojiBenchImageScore> Scores)> scored, int resamples, double seconds)
    {
        Interval? Metric(Func<EmojiBenchImageScore, double?> f, ulong seed)
        {
            var groups = scored.Select(s => (IReadOnlyList<double>)s.Scores.Select(x => f(x) ?? double.NaN).Where(v => !double.IsNaN(v)).ToList()).ToList();
            return groups.Any(g => g.Count > 0) ? Bootstrap.GroupedMean(groups, resamples, 0.95, seed) : null;
        }
        var metrics = new EmojiBenchMetricSet(
            Metric(s => s.Dino, 1), Metric(s => s.ClipI, 2),
            Metric(s => s.ClipT, 3) ?? throw new InvalidOperationException("no CLIP-T scores"),
            Metric(s => s.Recognition, 4) ?? throw new InvalidOperationException("no recognition scores"));
        return new EmojiBenchRow(subset, source, scored.Count, scored.Sum(s => s.Scores.Count), metrics, seconds);
    }

    private static string Summary(EmojiBenchRow r) =>
        $"DINO {EmojiBenchTable.Cell(r.Metrics.Dino)}, CLIP-I {EmojiBenchTable.Cell(r.Metrics.ClipI)}, CLIP-T {EmojiBenchTable.Cell(r.Metrics.ClipT)}, recognised {EmojiBenchTable.Cell(r.Metrics.Recognition)}";
}

/// <summary>The entities' reference images on white, as <c>unimog emojiworld refs --background white</c> writes them: PNG for the prompt, RGB for the metrics.</summary>
internal sealed class SubjectImages(EmojiArt art)
{
    private readonly Dictionary<string, (byte[] Png, byte[] Rgb)> _cache = new(StringComparer.OrdinalIgnoreCase);

    public byte[] Png(string hex) => Get(hex).Png;
    public byte[] Rgb(string hex) => Get(hex).Rgb;

    private (byte[] Png, byte[] Rgb) Get(string hex)
    {
        if (_cache.TryGetValue(hex, out var v)) return v;
        var png = References.Encode(art.Sprite(hex), ReferenceBackground.White);
        return _cache[hex] = (png, ImageDecoder.Decode(png).ToRgb(Imaging.Rgb.White));
    }
}
