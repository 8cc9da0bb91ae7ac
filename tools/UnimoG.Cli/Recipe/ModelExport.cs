using System.Text.Json.Nodes;
using TorchSharp;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Diffusion;
using UnimoG.Modeling.Pipelines;

namespace UnimoG.Cli.Recipe;

/// <summary>
/// The recipe's model folders (docs/services.md layout): <c>{work}/models/{full,no-visual-enh,no-tuning}</c>, each the
/// staged VAE, MLLM, tokenizer and preview factors with its U-Net in F16, the DDIM scheduler, <c>model_index.json</c>,
/// NOTICE + LICENSE-Apache-2.0 and a model card; the full model is then copied to <c>--out</c>, replacing the
/// untrained placeholder (no UNTRAINED marker).
/// </summary>
internal static class ModelExport
{
    public const string ExportFile = "export.json";

    /// <summary>
    /// Complete when the three folders and --out exist and export.json names the same trained U-Net weights (size and
    /// time of each run's export) as the runs hold now: a retrained run makes the export stale.
    /// </summary>
    public static bool Complete(MiniRecipe r, MiniRecipeOptions o)
    {
        var path = r.W("models", ExportFile);
        if (!File.Exists(path) || !File.Exists(Path.Combine(o.Out, "model_index.json")) || File.Exists(Path.Combine(o.Out, ModelFolder.UntrainedMarker))
            || !MiniRecipe.Variants.All(v => File.Exists(Path.Combine(r.ModelDir(v.Name), "model_index.json"))))
            return false;
        var sources = JsonNode.Parse(File.ReadAllText(path))!["sources"];
        return sources is not null && MiniRecipe.Variants.All(v => (string?)sources[v.Name] == Fingerprint(r, v.Run));
    }

    /// <summary>Whether <paramref name="output"/> (a later stage's) exists and was written after the current export.</summary>
    public static bool NewerThanExport(MiniRecipe r, string output) =>
        File.Exists(output) && File.Exists(r.W("models", ExportFile))
        && File.GetLastWriteTimeUtc(output) > File.GetLastWriteTimeUtc(r.W("models", ExportFile));

    /// <summary>Size and last write time of a run's exported U-Net weights.</summary>
    private static string Fingerprint(MiniRecipe r, string run)
    {
        var file = new FileInfo(Path.Combine(r.Run(run), "unet", "diffusion_pytorch_model.safetensors"));
        return file.Exists ? $"{file.Length}@{file.LastWriteTimeUtc:O}" : "missing";
    }

    public static StageOutcome Run(MiniRecipe r, MiniRecipeOptions o, StageContext c)
    {
        var sizes = new JsonObject();
        foreach (var (name, run, label) in MiniRecipe.Variants)
        {
            var dir = r.ModelDir(name);
            Write(r, Path.Combine(r.Run(run), "unet"), dir, label);
            ModelCard.Write(r, o, dir, name);
            sizes[name] = FolderBytes(dir);
            c.Log($"{label}: {dir} ({FolderBytes(dir) / 1e6:0.00} MB)");
        }
        CopyFolder(r.ModelDir("full"), o.Out);
        var bytes = FolderBytes(o.Out);
        if (bytes > UnimoG.Mini.MiniConfigs.BudgetBytes)
            throw new RecipeException($"{o.Out} is {bytes / 1e6:0.00} MB, over the {UnimoG.Mini.MiniConfigs.BudgetBytes / 1e6:0} MB budget");
        var sources = new JsonObject();
        foreach (var v in MiniRecipe.Variants) sources[v.Name] = Fingerprint(r, v.Run);
        File.WriteAllText(r.W("models", ExportFile), MiniRecipe.Json(new JsonObject { ["out"] = Path.GetFullPath(o.Out), ["out_bytes"] = bytes, ["bytes"] = sizes, ["sources"] = sources }));
        c.Log($"the full model -> {o.Out} ({bytes / 1e6:0.00} MB of {UnimoG.Mini.MiniConfigs.BudgetBytes / 1e6:0} MB)");
        return StageOutcome.Ran;
    }

    /// <summary>One model folder from the staged frozen parts and a trained U-Net folder.</summary>
    public static void Write(MiniRecipe r, string unetFolder, string dir, string label)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        CopyFolder(Path.Combine(r.Staging, "vae"), Path.Combine(dir, "vae"));
        CopyFolder(Path.Combine(r.Staging, "mllm"), Path.Combine(dir, "mllm"));
        File.Copy(Path.Combine(r.Staging, "preview.json"), Path.Combine(dir, "preview.json"));
        var unet = Path.Combine(dir, "unet");
        Directory.CreateDirectory(unet);
        File.Copy(Path.Combine(unetFolder, "config.json"), Path.Combine(unet, "config.json"));
        using (var scope = torch.NewDisposeScope())
        using (var model = UNet2DConditionModel.FromPretrained(unetFolder))
            SafetensorsWriter.Save(Path.Combine(unet, "diffusion_pytorch_model.safetensors"),
                model.state_dict().Select(kv => KeyValuePair.Create(kv.Key, kv.Value.to_type(torch.ScalarType.Float16))));
        Directory.CreateDirectory(Path.Combine(dir, "scheduler"));
        File.WriteAllText(Path.Combine(dir, "scheduler", "scheduler_config.json"), UnimoG.Modeling.Configs.DiffusionConfigs.Sd15SchedulerJson.Trim() + "\n");
        File.WriteAllText(Path.Combine(dir, "model_index.json"), ModelFolder.ModelIndexJson(EncoderKind.Mllm));
        UnimoG.Mini.ModelNotice.WriteTo(dir, $"UNIMO-G mini ({label}): U-Net, VAE, multimodal LLM encoder and tokenizer trained on EmojiWorld.");
        UnimoG.Mini.ModelNotice.WriteTo(unet, $"UNIMO-G mini ({label}): the U-Net.");
        ModelFolder.Open(dir);   // the layout the services load
    }

    public static long FolderBytes(string dir) => Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    public static void CopyFolder(string from, string to)
    {
        if (Directory.Exists(to)) Directory.Delete(to, recursive: true);
        Directory.CreateDirectory(to);
        foreach (var d in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(f, Path.Combine(to, Path.GetRelativePath(from, f)), overwrite: true);
    }
}
