using SkiaSharp;
using UnimoG.EmojiWorld;
using UnimoG.Engines.Gateway;
using UnimoG.Engines.InProcess;
using UnimoG.Engines.Inference;

namespace UnimoG.Mini.Bench;

/// <summary>What <see cref="EmojiBenchGrid.RenderAsync"/> draws: the same EmojiBench prompts across several models.</summary>
public sealed record EmojiBenchGridOptions
{
    /// <summary>Model folders, one column group each, in this order.</summary>
    public required IReadOnlyList<string> Models { get; init; }
    /// <summary>Column titles (default: the folders' names).</summary>
    public IReadOnlyList<string>? Labels { get; init; }
    public IReadOnlyList<EmojiBenchSubset> Subsets { get; init; } = [EmojiBenchSubset.Seen, EmojiBenchSubset.HeldOut, EmojiBenchSubset.Text];
    /// <summary>Rows per subset: the first prompts of the benchmark's list (templates interleaved, so 5 show each template once).</summary>
    public int PromptsPerSubset { get; init; } = 5;
    public int ImagesPerModel { get; init; } = 2;
    public int Steps { get; init; } = 50;
    public float GuidanceScale { get; init; } = 5f;
    public ulong Seed { get; init; }
    public ulong PromptSeed { get; init; } = EmojiBenchPrompts.DefaultSeed;
    /// <summary>The benchmark's prompt count per subset, whose list the rows are the start of.</summary>
    public int Limit { get; init; } = EmojiBenchPrompts.DefaultLimit;
    public string? ArtDir { get; init; }
    public string? TokenizerPath { get; init; }
    public int Threads { get; init; }
    /// <summary>Tile side in pixels (the 64x64 images are scaled by nearest neighbour).</summary>
    public int Tile { get; init; } = 96;
}

/// <summary>
/// A PNG sample grid: one row per prompt (the subset's first prompts, with the benchmark's seeds, so the images are
/// the benchmark's own), the reference images on the left, then each model's images; the caption and subset under
/// each row, the model names on top.
/// </summary>
public static class EmojiBenchGrid
{
    public static async Task<byte[]> RenderAsync(EmojiBenchGridOptions o, Action<string> log, CancellationToken ct)
    {
        if (o.Models.Count == 0) throw new ArgumentException("Models: give at least one model folder");
        foreach (var m in o.Models)
            if (!Directory.Exists(m)) throw new DirectoryNotFoundException($"Models: model folder not found: {m}");
        if (o.Labels is { } l && l.Count != o.Models.Count) throw new ArgumentException($"Labels: {l.Count} labels for {o.Models.Count} models");
        if (o.PromptsPerSubset is < 1 or > 50) throw new ArgumentOutOfRangeException(nameof(o.PromptsPerSubset), o.PromptsPerSubset, "PromptsPerSubset: 1..50");
        if (o.ImagesPerModel is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(o.ImagesPerModel), o.ImagesPerModel, "ImagesPerModel: 1..8");
        if (o.Tile is < 16 or > 512) throw new ArgumentOutOfRangeException(nameof(o.Tile), o.Tile, "Tile: 16..512 pixels");
        using var art = EmojiArt.Open(o.ArtDir);
        var subjects = new SubjectImages(art);
        var prompts = o.Subsets.Distinct()
            .SelectMany(s => EmojiBenchPrompts.Generate(EmojiCatalog.Default, s, Math.Max(o.Limit, o.PromptsPerSubset), o.PromptSeed).Take(o.PromptsPerSubset))
            .ToList();
        var labels = o.Labels ?? o.Models.Select(m => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(m)))).ToList();
        var bench = new EmojiBenchOptions
        {
            ModelDir = o.Models[0], ImagesPerPrompt = o.ImagesPerModel, Steps = o.Steps, GuidanceScale = o.GuidanceScale, Seed = o.Seed,
        };
        var images = new List<IReadOnlyList<byte[]>[]>();   // [model][prompt] -> RGB images
        for (var m = 0; m < o.Models.Count; m++)
        {
            log($"{labels[m]}: {prompts.Count} prompts x {o.ImagesPerModel} images");
            using var local = OneProcess.Load(o.Models[m], new ModelOptions { Path = o.Models[m], Threads = o.Threads, TokenizerPath = o.TokenizerPath },
                new GatewayOptions { MaxNumImages = Math.Max(o.ImagesPerModel, 4), MaxSteps = Math.Max(o.Steps, 200) });
            var perPrompt = new IReadOnlyList<byte[]>[prompts.Count];
            for (var i = 0; i < prompts.Count; i++)
            {
                var p = prompts[i];
                var pngs = await EmojiBench.GenerateAsync(local, bench, p, subjects, EmojiBench.PromptSeed(o.Seed, p.Subset, p.Index), ct).ConfigureAwait(false);
                perPrompt[i] = pngs.Select(EmojiBench.ToRgb).ToList();
            }
            images.Add(perPrompt);
        }
        return Draw(prompts, subjects, labels, images, o.Tile, o.ImagesPerModel);
    }

    internal static byte[] Draw(IReadOnlyList<EmojiBenchPrompt> prompts, SubjectImages subjects, IReadOnlyList<string> labels,
        IReadOnlyList<IReadOnlyList<byte[]>[]> images, int tile, int perModel)
    {
        const int margin = 8, gap = 16, caption = 18, header = 24, refs = 3;
        var group = perModel * tile + (perModel - 1) * 2;
        var width = margin * 2 + refs * tile + 2 * (refs - 1) + labels.Count * (gap + group);
        var rowHeight = tile + caption + 6;
        var height = header + prompts.Count * rowHeight + margin;
        using var c = new Canvas(width, height);
        var x0 = margin + refs * tile + 2 * (refs - 1) + gap;
        c.Text("references", margin, header - 8, 13, SKColors.Black);
        for (var m = 0; m < labels.Count; m++)
            c.Text(Canvas.Fit(labels[m], group, 13), x0 + m * (gap + group), header - 8, 13, SKColors.Black);
        for (var i = 0; i < prompts.Count; i++)
        {
            var p = prompts[i];
            var y = header + i * rowHeight;
            for (var r = 0; r < Math.Min(refs, p.Entities.Count); r++)
            {
                // Text prompts show no image to the model: their references are drawn faded.
                c.Tile(subjects.Rgb(p.Entities[r].Hex), Data.Images.N, margin + r * (tile + 2), y, tile);
                if (p.Subset == EmojiBenchSubset.Text)
                {
                    using var veil = new SKPaint { Color = new SKColor(255, 255, 255, 150) };
                    c.Draw.DrawRect(margin + r * (tile + 2), y, tile, tile, veil);
                }
            }
            for (var m = 0; m < labels.Count; m++)
                for (var j = 0; j < perModel; j++)
                    c.Tile(images[m][i][j], Data.Images.N, x0 + m * (gap + group) + j * (tile + 2), y, tile);
            var text = $"[{EmojiBenchTable.SubsetName(p.Subset)}] {p.Prompt}" + (p.Subset == EmojiBenchSubset.Text ? "" : $"   ({p.Text})");
            c.Text(Canvas.Fit(text, width - 2 * margin, 12), margin, y + tile + caption - 4, 12, new SKColor(40, 40, 40));
        }
        return c.Png();
    }
}
