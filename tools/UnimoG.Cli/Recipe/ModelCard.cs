using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace UnimoG.Cli.Recipe;

/// <summary>
/// The model card (README.md) of an exported mini model: what it is, the data, the recipe with the real times of
/// every stage (from <c>{work}/recipe.json</c> and the runs' <c>run.json</c>), EmojiBench results when they exist
/// (<c>{work}/emojibench/*.md</c>), size and licence.
/// </summary>
internal static class ModelCard
{
    public static void Write(MiniRecipe r, MiniRecipeOptions o, string dir, string variant)
    {
        var label = MiniRecipe.Variants.First(v => v.Name == variant).Label;
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine($"# UNIMO-G mini: {label}").AppendLine();
        sb.AppendLine("A small UNIMO-G (multimodal prompts: text interleaved with entity images -> 64x64 images) trained from scratch on");
        sb.AppendLine("EmojiWorld scenes built from Noto Emoji art, on a shared 2-core CPU machine, by `unimog recipe mini`");
        sb.AppendLine("(docs/mini-model.md). It follows prompts about the emoji world only: people, animals, clothing, toys and food");
        sb.AppendLine("emoji on simple backgrounds.").AppendLine();
        sb.AppendLine("```bash");
        sb.AppendLine("./unimog generate \"<img1> wearing <img2>\" --image models/examples/dog.png --image models/examples/top-hat.png --steps 30 --seed 42 --out out.png");
        sb.AppendLine("```").AppendLine();
        sb.AppendLine("## Parts").AppendLine();
        sb.AppendLine("| folder | what | trained |");
        sb.AppendLine("|---|---|---|");
        sb.AppendLine("| `unet/` | diffusers `UNet2DConditionModel`, F16 | stage 1 on EmojiWorld captions (English + Chinese)" + (variant == "no-tuning" ? "" : $", stage 2 on multimodal samples (lambda {(variant == "full" ? o.Lambda.ToString(inv) : "0")})") + " |");
        sb.AppendLine("| `vae/` | diffusers `AutoencoderKL`, 64x64x3 <-> 16x16x4, F16 | `unimog mini train-vae`, frozen afterwards |");
        sb.AppendLine("| `mllm/` | MiniGPT-4-shaped encoder: CLIP-style ViT, Q-Former (8 queries), LLaMA (256 wide, 4 layers), our 2,048-piece SentencePiece tokenizer | `unimog mini train-mllm`, frozen |");
        sb.AppendLine("| `scheduler/` | DDIM (Stable Diffusion 1.x settings) | |");
        sb.AppendLine("| `preview.json` | linear latent-to-RGB preview factors | fitted to the VAE |").AppendLine();
        sb.AppendLine("## Data").AppendLine();
        sb.AppendLine($"EmojiWorld (docs/emojiworld.md): {o.TrainScenes:N0} train scenes (seen entities only), seed 0. At least ten entities per category");
        sb.AppendLine("(living, wearing, toys, food) are held out from every generator component and exist only for EmojiBench's zero-shot rows.");
        sb.AppendLine($"Stage 1 read the first {o.Stage1Scenes:N0} scenes with both captions; stage 2 the first {o.Stage2Samples:N0} samples of data preparation in");
        sb.AppendLine($"alpha-mask mode (`unimog prep --entities metadata --masks alpha`, replace rate {o.ReplaceRate.ToString(inv)}, {o.TextOnlyShare:P0} text-only).").AppendLine();
        sb.AppendLine("## Recipe and real times").AppendLine();
        sb.AppendLine("Measured on the shared 2-core machine (other engineers' builds and trainings ran at the same time: see the load averages).").AppendLine();
        sb.Append(TimesTable(r));
        var bench = r.W("emojibench", "table.md");
        if (File.Exists(bench))
        {
            sb.AppendLine().AppendLine("## EmojiBench").AppendLine();
            sb.AppendLine(File.ReadAllText(bench).Trim());
        }
        sb.AppendLine().AppendLine("## Licence").AppendLine();
        sb.AppendLine("The weights derive from Noto Emoji art (Emoji artwork: Noto Emoji, Copyright Google Inc., Apache License 2.0):");
        sb.AppendLine("see `NOTICE` (what was changed, EmojiWorld's attribution, emoji.json's MIT licence) and `LICENSE-Apache-2.0`.");
        File.WriteAllText(Path.Combine(dir, "README.md"), sb.ToString());
    }

    /// <summary>The stages' real times as a Markdown table (from recipe.json and the U-Net runs' run.json).</summary>
    public static string TimesTable(MiniRecipe r)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("| stage | outcome | wall | CPU | load avg start/end | peak RSS |");
        sb.AppendLine("|---|---|---:|---:|---|---:|");
        var summaryPath = r.W(RecipeRunner.SummaryFile);
        if (File.Exists(summaryPath))
            foreach (var s in JsonNode.Parse(File.ReadAllText(summaryPath))!["stages"]!.AsArray())
            {
                var d = s!["done"];
                if (d is null) { sb.AppendLine($"| {s["stage"]} | not run yet | | | | |"); continue; }
                sb.AppendLine(string.Create(inv, $"| {s["stage"]} | {d["outcome"]} | {Minutes((double)d["wall_seconds"]!)} | {Minutes((double)d["cpu_seconds"]!)} | {(double?)d["load_average_start"]:0.0} / {(double?)d["load_average_end"]:0.0} | {(double)d["peak_rss_mb"]!:0} MB |"));
            }
        var runs = new[] { "vae", "mllm", "evaluators" }.Select(n => (n, Path: UnimoG.Mini.Training.Checkpoint.StatePath(r.Run(n))))
            .Where(x => x.Path is not null).Select(x => (x.n, x.Path!)).ToList();
        var unets = MiniRecipe.Variants.Select(v => (v.Run, Path.Combine(r.Run(v.Run), "run.json"))).Where(x => File.Exists(x.Item2)).ToList();
        if (runs.Count + unets.Count > 0)
        {
            sb.AppendLine().AppendLine("Training time of each run (all sessions of a resumed run added up):").AppendLine();
            sb.AppendLine("| run | steps | wall | CPU |");
            sb.AppendLine("|---|---:|---:|---:|");
            foreach (var (name, path) in runs)
            {
                var st = JsonNode.Parse(File.ReadAllText(path))!;
                sb.AppendLine(string.Create(inv, $"| {name} | {st["step"]} | {Minutes((double)st["seconds"]!)} | {((double?)st["cpu_seconds"] is { } cpu ? Minutes(cpu) : "")} |"));
            }
            foreach (var (name, path) in unets)
            {
                var st = JsonNode.Parse(File.ReadAllText(path))!;
                sb.AppendLine(string.Create(inv, $"| {name} | {st["steps"]} | {Minutes((double)st["wall_seconds"]!)} | {Minutes((double)st["cpu_seconds"]!)} |"));
            }
        }
        return sb.ToString();
    }

    private static string Minutes(double seconds) => seconds < 60 ? $"{seconds:0} s" : $"{seconds / 60:0.0} min";
}
