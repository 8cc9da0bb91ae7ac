using Microsoft.Extensions.Logging;
using UnimoG.Data.Checkpoints;
using UnimoG.Data.Random;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Distributed;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Training;

/// <summary>
/// What changes under data parallelism (docs/training.md, "Distributed training"): the global batch of each
/// micro-step is split evenly over the ranks (rank r takes rows [r * b, (r + 1) * b) of the batch the single-process
/// plan would take), each rank's generator is derived from the seed and its rank, the ranks agree on stops and
/// checkpoints before each step, and only rank 0 writes, samples, exports and validates. A single process
/// (<c>_parallel</c> null) takes none of these paths.
/// </summary>
public sealed partial class Trainer
{
    private bool _agreedCheckpoint;

    private bool IsRoot => _parallel?.IsRoot ?? true;
    private int Ranks => _parallel?.Size ?? 1;

    /// <summary>The seed of this rank's generator: the run's seed itself for rank 0 (a single process is unchanged) and global draws.</summary>
    private long GeneratorSeed => _parallel is { Rank: > 0 } p && p.Settings.Random == "rank" ? RankSeed(_config.Seed, p.Rank) : _config.Seed;

    /// <summary>Rank r's seed from the run's seed: SplitMix64's output function over (seed, rank); rank 0 keeps the seed.</summary>
    public static long RankSeed(long seed, int rank, long salt = 0) =>
        rank == 0 && salt == 0 ? seed : (long)SplitMix64.Mix(unchecked((ulong)seed ^ SplitMix64.Mix((ulong)rank * 0x9E3779B97F4A7C15UL ^ SplitMix64.Mix((ulong)salt))));

    private static void CheckRanks(TrainingConfig config, DataParallel? parallel)
    {
        if (parallel is null) return;
        if (config.BatchSize % parallel.Size != 0)
            throw config.Location["batch_size"].Error($"the global batch ({config.BatchSize}) must divide evenly over the {parallel.Size} ranks");
        for (var i = 0; i < config.Phases.Count; i++)
            if (config.Phases[i].BatchSize is { } b && b % parallel.Size != 0)
                throw config.Location["phases"][i]["batch_size"].Error($"the global batch ({b}) must divide evenly over the {parallel.Size} ranks");
    }

    /// <summary>This rank's rows of a global batch and where its random numbers come from.</summary>
    private (int[] Rows, RowDraws Draws) RankRows(int[] global)
    {
        if (_parallel is null) return (global, new RowDraws(_generator, _device, 0, global.Length, global.Length));
        var per = global.Length / _parallel.Size;
        var offset = per * _parallel.Rank;
        var rows = global[offset..(offset + per)];
        return (rows, _parallel.Settings.Random == "global"
            ? new RowDraws(_generator, _device, offset, per, global.Length)
            : new RowDraws(_generator, _device, 0, per, per));
    }

    private double _globalEntities;

    /// <summary>
    /// L_attn is a mean over the entities of the whole batch (1/N sum_k l_k): with N ranks each rank knows only its
    /// own, so every rank of a stage-2 micro-batch first learns the global count (an all-reduce of one number).
    /// </summary>
    private void CountEntities(int local) => _globalEntities = _parallel is null ? local : _parallel.Sum(local)[0];

    /// <summary>
    /// The factor that turns this rank's mean over its own entities into its share of the global mean once the
    /// gradients are averaged over the ranks: (local / global) * N. One for a single process.
    /// </summary>
    private double EntityShare(int local) => _parallel is null || _globalEntities <= 0 ? 1.0 : local / _globalEntities * Ranks;

    /// <summary>The stop of any rank stops all at the same step; a checkpoint asked on any rank is written by all.</summary>
    private bool StopNow(CancellationToken stop)
    {
        if (_parallel is null) return stop.IsCancellationRequested;
        var agreed = _parallel.Agree(stop.IsCancellationRequested, _checkpointRequested);
        _agreedCheckpoint = agreed[1];
        return agreed[0];
    }

    private bool TakeCheckpointRequest()
    {
        var asked = _parallel is null ? _checkpointRequested : _agreedCheckpoint;
        _checkpointRequested = _agreedCheckpoint = false;
        return asked;
    }

    /// <summary>The global means of one step's numbers (every rank's batch is the same size).</summary>
    private (double Loss, double Mse, double AttnSum, int AttnCount, int Samples) Combine(double loss, double mse, double attnSum, int attnCount, int samples)
    {
        if (_parallel is null) return (loss, mse, attnSum, attnCount, samples);
        var s = _parallel.Sum(loss, mse, attnSum, attnCount, samples);
        return (s[0] / Ranks, s[1] / Ranks, s[2], (int)s[3], (int)s[4]);
    }

    /// <summary>The checkpoint to resume from: rank 0 validates (hashes) and every rank loads the one it names.</summary>
    private string? NewestCheckpoint()
    {
        var path = IsRoot ? _store.NewestValid()?.Path : null;
        if (_parallel is null) return path;
        _parallel.World.Barrier("rank 0 validates the checkpoints", _parallel.CheckpointTimeout);
        var shared = UnimoG.Distributed.Collectives.Broadcast(_parallel.World, path ?? "", 0, "checkpoint to resume from");
        return shared.Length > 0 ? shared : null;
    }

    /// <summary>The intact checkpoint of the current step if one was written already (as rank 0 sees it).</summary>
    private string? ExistingCheckpointOfThisStep()
    {
        var path = IsRoot ? _store.List(hashes: false).FirstOrDefault(c => c.Step == Step && c.Valid)?.Path : null;
        if (_parallel is null) return path;
        var shared = UnimoG.Distributed.Collectives.Broadcast(_parallel.World, path ?? "", 0, "checkpoint of this step");
        return shared.Length > 0 ? shared : null;
    }

    private void SamplesOnRoot()
    {
        if (IsRoot) SaveSamples();
        _parallel?.World.Barrier("sample images drawn by rank 0", _parallel.CheckpointTimeout);
    }

    /// <summary>Where the checkpoint of this step is (rank 0 writes it; the others wait for it).</summary>
    private string CheckpointPath => Path.Combine(_store.Root, CheckpointStore.NameOf(Step));

    /// <summary>The last step's communication time beside its whole time (docs/training.md, Figures).</summary>
    private void LogCommunication(double stepSeconds)
    {
        if (_parallel is not null)
            _log.LogInformation("step {Step}: gradient all-reduce and shard all-gather {Comm:F1} ms of {Total:F1} ms", Step, LastTimings.Communication * 1e3, stepSeconds * 1e3);
    }

    private void LogDistributed()
    {
        if (_parallel is not null)
            _log.LogInformation("Data parallel: {Description}; global batch {Batch} = {Ranks} x {PerRank}", _parallel.Description, _config.BatchSize, Ranks, _config.BatchSize / Ranks);
    }
}
