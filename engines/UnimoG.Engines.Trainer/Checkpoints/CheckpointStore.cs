using Microsoft.Extensions.Logging;
using Store = UnimoG.Data.Checkpoints.CheckpointStore;

namespace UnimoG.Engines.Trainer.Checkpoints;

/// <summary>
/// What <c>hosts/UnimoG.Trainer</c> lists a run's checkpoints with (it opens them by output folder and logger). Not a
/// second store: it forwards to <see cref="Store"/>, the one implementation. It exists only because the host, being
/// rewritten elsewhere, still names this type; delete it once the host calls <see cref="Store.ForRun"/> itself.
/// </summary>
public sealed class CheckpointStore(string outputDir, ILogger logger)
{
    private readonly Store _store = Store.ForRun(outputDir, warning => logger.LogWarning("{Warning}", warning));

    public IReadOnlyList<UnimoG.Data.Checkpoints.CheckpointInfo> List(bool hashes = true) => _store.List(hashes);
}
