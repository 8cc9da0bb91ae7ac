using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using UnimoG.Mini;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog mini stage</c>: gathers the frozen parts from their training runs into one folder (vae/, preview.json,
/// mllm/, tokenizer/), with the model NOTICE beside every set of weights and the runs' metrics in stage.json.
/// </summary>
internal static class MiniStageCommand
{
    public static Command Create()
    {
        var vae = new Option<string>("--vae") { Description = "train-vae output folder (vae/, preview.json, metrics.json).", Required = true };
        var mllm = new Option<string>("--mllm") { Description = "train-mllm output folder (mllm/, metrics.json, train-log.json).", Required = true };
        var output = new Option<string>("--out") { Description = "Staging folder, e.g. models/unimog-mini-staging.", Required = true };
        var command = new Command("stage", "Collect the trained VAE, MLLM and tokenizer into one folder with NOTICE files and their metrics.") { vae, mllm, output };
        command.SetAction(parse =>
        {
            var (vaeRun, mllmRun, outDir) = (parse.GetValue(vae)!, parse.GetValue(mllm)!, parse.GetValue(output)!);
            foreach (var required in new[] { Path.Combine(vaeRun, "vae", "config.json"), Path.Combine(vaeRun, "preview.json"), Path.Combine(mllmRun, "mllm", "encoder_config.json") })
                if (!File.Exists(required)) throw new FileNotFoundException($"{required} is missing: has the run finished?", required);
            Directory.CreateDirectory(outDir);
            Copy(Path.Combine(vaeRun, "vae"), Path.Combine(outDir, "vae"));
            File.Copy(Path.Combine(vaeRun, "preview.json"), Path.Combine(outDir, "preview.json"), overwrite: true);
            Copy(Path.Combine(mllmRun, "mllm"), Path.Combine(outDir, "mllm"));
            Directory.CreateDirectory(Path.Combine(outDir, "tokenizer"));
            File.Copy(Path.Combine(mllmRun, "mllm", "tokenizer", "tokenizer.model"), Path.Combine(outDir, "tokenizer", "tokenizer.model"), overwrite: true);
            ModelNotice.WriteTo(outDir, "UNIMO-G mini (staging): VAE, multimodal LLM encoder and tokenizer trained on EmojiWorld.");
            ModelNotice.WriteTo(Path.Combine(outDir, "vae"), "UNIMO-G mini: the VAE (AutoencoderKL, 64x64x3 <-> 16x16x4).");
            ModelNotice.WriteTo(Path.Combine(outDir, "mllm"), "UNIMO-G mini: the multimodal LLM encoder (vision tower, Q-Former bridge, LLaMA) and its tokenizer.");
            var mllmLog = File.Exists(Path.Combine(mllmRun, "train-log.json")) ? JsonNode.Parse(File.ReadAllText(Path.Combine(mllmRun, "train-log.json"))) : null;
            var stage = new JsonObject
            {
                ["vae"] = JsonNode.Parse(File.ReadAllText(Path.Combine(vaeRun, "metrics.json")))!["report"]?.DeepClone(),
                ["mllm"] = JsonNode.Parse(File.ReadAllText(Path.Combine(mllmRun, "metrics.json"))),
                ["mllm_training"] = mllmLog is null ? null : new JsonObject { ["steps"] = mllmLog["steps"]?.DeepClone(), ["seconds"] = mllmLog["seconds"]?.DeepClone() },
            };
            File.WriteAllText(Path.Combine(outDir, "stage.json"), stage.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            var bytes = Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            Console.WriteLine($"staged {outDir}: {bytes / 1e6:0.00} MB (the shipped model adds the U-Net; budget {MiniConfigs.BudgetBytes / 1e6:0} MB)");
            return 0;
        });
        return command;
    }

    private static void Copy(string from, string to)
    {
        if (Directory.Exists(to)) Directory.Delete(to, recursive: true);
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
    }
}
