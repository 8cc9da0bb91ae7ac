using System.CommandLine;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Data;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog encode-dataset --config FILE.json</c>: runs the frozen encoder and the VAE once over the training data and
/// writes the caches that <c>conditions.cache</c> and <c>latent_cache</c> of the same configuration read.
/// </summary>
internal static class EncodeDatasetCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "training configuration (its phases' data, encoder and VAE)", Required = true };
        var conditions = new Option<string?>("--conditions") { Description = "condition cache folder to write (default: the config's conditions.cache)" };
        var latents = new Option<string?>("--latents") { Description = "latent cache folder to write (default: the config's latent_cache)" };
        var only = new Option<string>("--only") { Description = "write both caches, or only the conditions or the latents", DefaultValueFactory = _ => "both" };
        only.AcceptOnlyFromAmong("both", "conditions", "latents");
        var batch = new Option<int>("--batch") { Description = "prompts or images per encoder call", DefaultValueFactory = _ => 16 };
        var command = new Command("encode-dataset", "Precompute condition tensors and VAE latents of a training configuration's data.") { config, conditions, latents, only, batch };
        command.SetAction((parse, ct) =>
        {
            var c = TrainingConfig.Load(parse.GetValue(config)!);
            var which = parse.GetValue(only)!;
            string? Full(string? p) => p is null ? null : Path.GetFullPath(p);
            var condOut = which == "latents" ? null : Full(parse.GetValue(conditions)) ?? c.Conditions.Cache
                ?? throw new UsageException("give --conditions DIR (or conditions.cache in the config), or --only latents");
            var latOut = which == "conditions" ? null : Full(parse.GetValue(latents)) ?? c.LatentCache
                ?? throw new UsageException("give --latents DIR (or latent_cache in the config), or --only conditions");
            if (parse.GetValue(batch) < 1) throw new UsageException("--batch must be at least 1");
            var progress = ProgressLine.ForConsole();
            string? part = null;
            var result = DatasetEncoding.Run(c, condOut, latOut, parse.GetValue(batch), CliLogging.Create("encode-dataset", progress), ct, p =>
            {
                // Each part has its own rate: a new part restarts the estimate.
                if (part != p.Part) { progress.Restart(); part = p.Part; }
                progress.Report(p.Done, p.Total, p.Part == "latents" ? "latents" : "prompts");
            });
            progress.Finish();
            Console.WriteLine($"wrote {result.Prompts} condition entries{(condOut is null ? "" : $" to {condOut}")} and {result.Latents} latents{(latOut is null ? "" : $" to {latOut}")}");
            return Task.FromResult(0);
        });
        return command;
    }
}
