using System.Text.Json;
using System.Text.Json.Nodes;
using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Engines.DataPrep.Pipeline;
using UnimoG.EmojiWorld;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Data;

namespace UnimoG.Cli.Recipe;

/// <summary>
/// <c>unimog recipe mini</c>: the whole mini UNIMO-G recipe as a list of stages (docs/mini-model.md). The pre-training
/// stages call the verbs (<c>emojiworld compose</c>, <c>mini train-vae</c>, ...) in this process through the command
/// tree, so the recipe is exactly what the documented commands do; the U-Net stages drive the trainer library.
/// The work folder's layout is the pre-training artifacts' (data/emojiworld-*, data/refs*, emoji/, runs/vae,
/// runs/mllm, runs/evaluators), so finished runs there are adopted and checkpointed ones resume.
/// </summary>
public sealed class MiniRecipe(MiniRecipeOptions o, Action<string> log)
{
    public string W(params string[] parts) => Path.Combine([o.Work, .. parts]);
    public string Art => W("emoji");
    public string Data(string name) => W("data", name);
    public string Run(string name) => W("runs", name);
    public string Staging => W("staging");
    public string ModelDir(string variant) => W("models", variant);

    /// <summary>The three exported models EmojiBench compares: name, run folder, what it is.</summary>
    public static readonly (string Name, string Run, string Label)[] Variants =
    [
        ("full", "unet-stage2", "full (stage 1 + stage 2, lambda > 0)"),
        ("no-visual-enh", "unet-no-visual-enh", "w/o VisualEnh (stage 2, lambda = 0)"),
        ("no-tuning", "unet-stage1", "w/o Tuning (stage 1 only)"),
    ];

    public IReadOnlyList<RecipeStage> Stages() =>
    [
        new("art", "emoji art (emoji-datasource-google@16.0.0) in emoji/", ArtComplete, RunArt),
        new("compose", "EmojiWorld: train, bench (held-out), all (evaluators), reference sprites", ComposeComplete, RunCompose),
        new("tokenizer", "the committed SentencePiece tokenizer", () => File.Exists(W("tokenizer", "tokenizer.model")), RunTokenizer),
        new("vae", "VAE pre-training (mini train-vae)", () => RunFinished("vae", "vae/config.json", "metrics.json"), _ => Verb("vae", MiniVerbs.TrainVae(this, o))),
        new("mllm", "MLLM pre-training (mini train-mllm)", () => RunFinished("mllm", "mllm/encoder_config.json", "metrics.json"), _ => Verb("mllm", MiniVerbs.TrainMllm(this, o))),
        new("stage", "collect VAE, MLLM, tokenizer (mini stage)", () => File.Exists(Path.Combine(Staging, "stage.json")), _ => Verb(null, MiniVerbs.Stage(this))),
        new("prep", "data preparation in alpha-mask mode (entities from metadata, masks from the layers' alpha)", PrepComplete, RunPrep),
        new("cache-latents", "VAE latents of every scene the U-Net stages read (encode-dataset)", () => CacheComplete("latents", LatentData), c => Encode(c, UNetConfigs.Stage1(this, o, forCache: true), LatentData, latents: W("cache", "latents"))),
        new("cache-stage1", "MLLM conditions of the English and Chinese captions (encode-dataset)", () => CacheComplete("conditions-stage1", Stage1Data), c => Encode(c, UNetConfigs.Stage1(this, o), Stage1Data, conditions: W("cache", "conditions-stage1"))),
        new("unet-stage1", "U-Net stage 1: text-to-image on captions (EN + ZH); alone it is the w/o Tuning ablation", () => UNetFinished("unet-stage1"), c => UNetRuns.Train(c, [UNetConfigs.Stage1(this, o)], o)),
        new("cache-stage2", "MLLM conditions of the multimodal samples and their captions (encode-dataset)", () => CacheComplete("conditions-stage2", Stage2Data), c => Encode(c, UNetConfigs.Stage2(this, o, o.Lambda, "unet-stage2"), Stage2Data, conditions: W("cache", "conditions-stage2"))),
        new("unet-stage2", $"U-Net stage 2 (lambda {o.Lambda}) and the w/o VisualEnh ablation (lambda 0) from the same stage-1 weights, same data order and seed" + (o.ParallelStage2 ? ", concurrently, one thread each" : ""),
            () => UNetFinished("unet-stage2") && UNetFinished("unet-no-visual-enh"),
            c => UNetRuns.Train(c, [UNetConfigs.Stage2(this, o, o.Lambda, "unet-stage2"), UNetConfigs.Stage2(this, o, 0, "unet-no-visual-enh")], o, parallel: o.ParallelStage2)),
        new("export", "model folders of full / w/o VisualEnh / w/o Tuning, the full one to --out with its model card", () => ModelExport.Complete(this, o), c => ModelExport.Run(this, o, c)),
        new("grids", "sample grids of the three models (same prompts and seeds) and training curves", () => SampleGrids.Complete(this), c => { TrainingCurves.Write(this).ToList().ForEach(f => c.Log(f)); return SampleGrids.Run(this, o, c, o.Repo); }),
        new("evaluators", "EmojiBench evaluators (mini train-evaluators, on the all split)", () => File.Exists(Path.Combine(Run("evaluators"), "evaluators.json")), _ => Verb("evaluators", MiniVerbs.TrainEvaluators(this, o))),
        new("emojibench", "EmojiBench on full / w/o VisualEnh / w/o Tuning; the table goes into the model cards", () => EmojiBenchStage.Complete(this), c => EmojiBenchStage.Run(this, o, c)),
    ];

    // ---- art and data ----

    private bool ArtComplete()
    {
        try { using var art = EmojiArt.Open(Art); return true; }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException) { return false; }
    }

    private StageOutcome RunArt(StageContext c)
    {
        if (o.ArtInstaller is null || !File.Exists(o.ArtInstaller))
            throw new RecipeException($"the emoji art is missing in {Art} and no installer was found (scripts/fetch-emoji-art.sh {Art})");
        c.Log($"installing the art with {o.ArtInstaller} {Art} (npm)");
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", [o.ArtInstaller, Art]) { RedirectStandardOutput = true })!;
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new RecipeException($"{o.ArtInstaller} failed (exit code {p.ExitCode})");
        return StageOutcome.Ran;
    }

    private static readonly (string Split, int Seed)[] Splits = [("train", 0), ("bench", 0), ("all", 1)];
    private int SceneCount(string split) => split switch { "train" => o.TrainScenes, "bench" => o.BenchScenes, _ => o.AllScenes };

    /// <summary>Scenes a compose manifest lists (0 when it is missing).</summary>
    public static long ManifestScenes(string folder, string split)
    {
        var path = Path.Combine(folder, $"emojiworld-{split}.json");
        if (!File.Exists(path)) return 0;
        return JsonNode.Parse(File.ReadAllText(path))!["shards"]!.AsArray().Sum(s => (long)s!["count"]!);
    }

    private bool ComposeComplete() =>
        Splits.All(s => ManifestScenes(Data($"emojiworld-{s.Split}"), s.Split) >= SceneCount(s.Split))
        && File.Exists(Path.Combine(Data("refs"), "references.json")) && File.Exists(Path.Combine(Data("refs-white"), "references.json"));

    private StageOutcome RunCompose(StageContext c)
    {
        foreach (var (split, seed) in Splits)
            if (ManifestScenes(Data($"emojiworld-{split}"), split) < SceneCount(split))
                Verb(null, ["emojiworld", "compose", "--art", Art, "--split", split, "--out", Data($"emojiworld-{split}"), "--count", SceneCount(split).ToString(), "--seed", seed.ToString()]);
        foreach (var (folder, bg) in new[] { ("refs", "transparent"), ("refs-white", "white") })
            if (!File.Exists(Path.Combine(Data(folder), "references.json")))
                Verb(null, ["emojiworld", "refs", "--art", Art, "--split", "all", "--background", bg, "--out", Data(folder)]);
        return StageOutcome.Ran;
    }

    private StageOutcome RunTokenizer(StageContext c)
    {
        if (!File.Exists(o.Tokenizer)) throw new RecipeException($"the committed tokenizer is missing: {o.Tokenizer}");
        Directory.CreateDirectory(W("tokenizer"));
        File.Copy(o.Tokenizer, W("tokenizer", "tokenizer.model"), overwrite: true);
        c.Log($"reused {o.Tokenizer} (scripts/train-mini-tokenizer.py makes it from the train split)");
        return StageOutcome.Ran;
    }

    // ---- pre-training runs (verbs in process) ----

    /// <summary>A run folder whose final outputs exist.</summary>
    private bool RunFinished(string run, params string[] files) => files.All(f => File.Exists(Path.Combine(Run(run), f)));

    /// <summary>
    /// Runs a verb in this process. For a run folder: refuses when another process is writing it (its log changed in
    /// the last two minutes), and reports a resume when a checkpoint was there.
    /// </summary>
    private StageOutcome Verb(string? run, string[] args)
    {
        var resumed = false;
        if (run is not null)
        {
            var dir = Run(run);
            var logFile = Path.Combine(dir, "train.log");
            if (File.Exists(logFile) && DateTime.UtcNow - File.GetLastWriteTimeUtc(logFile) < TimeSpan.FromMinutes(2))
                throw new RecipeException($"{dir} is being written by another process ({logFile} changed {(DateTime.UtcNow - File.GetLastWriteTimeUtc(logFile)).TotalSeconds:0} s ago): wait until it finishes; the recipe then adopts it");
            resumed = UnimoG.Mini.Training.Checkpoint.Newest(dir) is not null || Directory.Exists(Path.Combine(dir, "runs"));
        }
        log($"unimog {string.Join(' ', args)}");
        var code = CliApp.RunAsync(args).GetAwaiter().GetResult();
        if (code != 0) throw new RecipeException($"unimog {args[0]} {args[1]} failed with exit code {code}");
        return resumed ? StageOutcome.Resumed : StageOutcome.Ran;
    }

    // ---- data preparation ----

    private bool PrepComplete()
    {
        var input = Data("emojiworld-train");
        var output = Data("emojiworld-prepared");
        return Directory.Exists(input) && Directory.Exists(output) && Directory.GetFiles(input, "*.tar").Length > 0
            && Directory.GetFiles(input, "*.tar").All(t => PrepJob.ReadFinishedIndex(Path.Combine(output, Path.GetFileName(t))) is not null);
    }

    private StageOutcome RunPrep(StageContext c)
    {
        var prepInput = Data("emojiworld-prep-input");
        var converted = PrepInput.Write(Data("emojiworld-train"), prepInput, c.Cancel);
        c.Log($"prep input: {converted} scenes with metadata entities (phrase/start/end) and caption-order layers in {prepInput}");
        var options = new PrepOptions { ReplaceRate = o.ReplaceRate, TextOnlyShare = o.TextOnlyShare, Seed = o.Seed, Masks = MaskMode.Alpha };
        options.Validate();
        var job = new PrepJob(new PrepPipeline(options, new MetadataEntityExtractor(), null, null));
        var summary = job.RunAsync(prepInput, Data("emojiworld-prepared"), Math.Max(1, o.Threads), null, c.Cancel).GetAwaiter().GetResult();
        c.Log($"prepared {summary.ShardsPrepared} shard(s), {summary.ShardsSkipped} already finished; {summary.Samples} samples, {summary.Errors} errors");
        if (summary.Errors > summary.Samples / 100)
            throw new RecipeException($"data preparation failed for {summary.Errors} of {summary.Samples} samples (see {Data("emojiworld-prepared")}/*.index.json)");
        return summary.ShardsSkipped > 0 ? StageOutcome.Resumed : StageOutcome.Ran;
    }

    // ---- caches ----

    // A cache is complete only for the data it was made from: a finished cache of 6,400 samples must not be adopted by
    // a run that reads 19,200 (training would fail on the first missing key). Each cache records its inputs.
    private const string CacheDataFile = "recipe-data.json";

    private string CacheData(bool stage1, bool stage2) => new JsonObject
    {
        ["stage1_scenes"] = stage1 ? o.Stage1Scenes : null, ["stage2_samples"] = stage2 ? o.Stage2Samples : null,
    }.ToJsonString();

    // What each cache is made from: the latents serve both stages, each condition cache its own.
    private string LatentData => CacheData(stage1: true, stage2: true);
    private string Stage1Data => CacheData(stage1: true, stage2: false);
    private string Stage2Data => CacheData(stage1: false, stage2: true);

    // Compared as JSON values, not text: a reformatted file still matches; an unreadable one means "re-encode".
    private bool CacheComplete(string name, string data)
    {
        if (!File.Exists(W("cache", name, "manifest.json")) || !File.Exists(W("cache", name, CacheDataFile))) return false;
        try { return JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(W("cache", name, CacheDataFile))), JsonNode.Parse(data)); }
        catch (JsonException) { return false; }
    }

    private StageOutcome Encode(StageContext c, JsonObject config, string data, string? conditions = null, string? latents = null)
    {
        var parsed = TrainingConfig.Parse(config.ToJsonString(), o.Work);
        var result = DatasetEncoding.Run(parsed, conditions, latents, o.EncodeBatch, CliLogging.Create("encode-dataset"), c.Cancel);
        File.WriteAllText(Path.Combine(conditions ?? latents!, CacheDataFile), data);
        c.Log($"wrote {result.Prompts} condition entries, {result.Latents} latents");
        return StageOutcome.Ran;
    }

    private bool UNetFinished(string run) => File.Exists(Path.Combine(Run(run), "unet", "diffusion_pytorch_model.safetensors"));

    public static string Json(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
