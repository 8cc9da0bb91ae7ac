using UnimoG.Data.Checkpoints;

namespace UnimoG.Cli;

/// <summary>
/// What <c>generate --model</c> names: a model folder (model_index.json); or a training run's output folder, or one of
/// its checkpoints, whose U-Net then replaces the base model's (Model:UNetPath). A run holds only the U-Net: the VAE,
/// the encoder and the scheduler come from the base model (<c>--base-model</c>, default models/unimog-mini), which
/// must be the ones the run trained with.
/// </summary>
internal static class TrainedModel
{
    public sealed record Choice(string ModelPath, string? UNetPath);

    public static Choice Resolve(string? model, string? baseModel)
    {
        if (model is null || File.Exists(Path.Combine(model, "model_index.json")))
        {
            if (baseModel is not null) throw new UsageException("--base-model goes with --model RUN_FOLDER or CHECKPOINT (a training run's), not with a model folder");
            return new Choice(ModelPaths.Resolve(model), null);
        }
        var unet = UNetOf(model);
        // Neither a model folder nor a run: ModelFolder.Open names what is missing.
        return unet is null ? new Choice(model, null) : new Choice(ModelPaths.Resolve(baseModel), unet);
    }

    /// <summary>
    /// A checkpoint's EMA weights (else its trained ones); for a run folder, those of its newest intact checkpoint (the
    /// exported <c>unet/</c> is the final checkpoint's EMA, and a stopped continuation is newer), else <c>unet/</c>.
    /// </summary>
    private static string? UNetOf(string folder)
    {
        if (File.Exists(Path.Combine(folder, "trainer_state.json"))) return Weights(folder);
        if (Directory.Exists(Path.Combine(folder, CheckpointStore.FolderName))
            && CheckpointStore.ForRun(folder, warning => Console.Error.WriteLine($"unimog: warning: {warning}")).NewestValid() is { } newest)
            return Weights(newest.Path);
        var exported = Path.Combine(folder, "unet");
        return File.Exists(Path.Combine(exported, "config.json")) ? exported : null;
    }

    private static string? Weights(string checkpoint) =>
        new[] { "unet_ema", "unet" }.Select(d => Path.Combine(checkpoint, d)).FirstOrDefault(d => File.Exists(Path.Combine(d, "config.json")));
}
