using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>
/// Data-parallel training (<c>distributed</c>), used only when the process was started by <c>mpirun</c>; a single
/// process ignores it. <c>batch_size</c> stays the global batch, split evenly over the ranks.
/// </summary>
public sealed record DistributedSettings : IValidatedConfig
{
    /// <summary>0: every rank keeps the whole AdamW state; 1: ZeRO stage 1, AdamW state and its float32 master shard split over the ranks.</summary>
    [JsonPropertyName("zero_stage")] public int ZeroStage { get; init; }
    /// <summary>Size of one gradient all-reduce (MB of float32 gradients).</summary>
    [JsonPropertyName("bucket_mb")] public double BucketMb { get; init; } = 25;
    /// <summary>
    /// <c>rank</c>: each rank's generator is derived from the seed and its rank and draws its own rows (reproducible for
    /// a given number of ranks); <c>global</c>: every rank draws the whole global batch's numbers from the one run
    /// generator and keeps its rows (the same run for any number of ranks, up to float summation order).
    /// </summary>
    [JsonPropertyName("random")] public string Random { get; init; } = "rank";
    /// <summary>A collective that waits longer aborts the job (a rank died or hangs).</summary>
    [JsonPropertyName("collective_timeout_seconds")] public double CollectiveTimeoutSeconds { get; init; } = 300;
    /// <summary>The same for the waits while rank 0 writes a checkpoint or sample images.</summary>
    [JsonPropertyName("checkpoint_timeout_seconds")] public double CheckpointTimeoutSeconds { get; init; } = 3600;

    public void Validate(ConfigLocation at)
    {
        at["zero_stage"].InRange(ZeroStage, 0, 1);
        at["bucket_mb"].InRange(BucketMb, 0.001, 2048);
        at["random"].OneOf(Random, "rank", "global");
        at["collective_timeout_seconds"].InRange(CollectiveTimeoutSeconds, 1, 86400);
        at["checkpoint_timeout_seconds"].InRange(CheckpointTimeoutSeconds, 1, 86400);
    }
}
