using TorchSharp.Modules;
using UnimoG.Distributed;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Distributed;

/// <summary>
/// ZeRO stage 1: this rank's contiguous range of the flattened parameters (<see cref="ShardPartition"/>) as a float32
/// master <see cref="Parameter"/> that the rank's AdamW alone steps, so AdamW's two moments and the master copy of
/// the update exist once across the ranks (12 bytes per parameter / N), not on every rank. After the update the shards
/// are all-gathered bucket by bucket and copied into the U-Net's parameters, which every rank needs whole for its
/// forward. AdamW is element-wise, so the shard's update is the whole optimizer's update restricted to the shard.
/// </summary>
internal sealed class ZeroShard : IDisposable
{
    private readonly FlatLayout _layout;
    private readonly long[] _counts;
    private readonly (long Start, long Count)[] _shards;

    public long Start { get; }
    public long Count { get; }
    public Parameter Master { get; }
    public IReadOnlyList<long> Counts => _counts;

    public ZeroShard(FlatLayout layout, int rank, int size, Device device)
    {
        _layout = layout;
        (Start, Count) = ShardPartition.Of(layout.Total, size, rank);
        _counts = ShardPartition.Counts(layout.Total, size);
        _shards = [.. Enumerable.Range(0, size).Select(r => ShardPartition.Of(layout.Total, size, r))];
        Master = new Parameter(zeros([Count], dtype: ScalarType.Float32, device: device), requires_grad: true);
        TakeWeights();
    }

    /// <summary>Copies the U-Net's weights of this shard into the master (at start and after loading a checkpoint).</summary>
    public void TakeWeights()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (i, inside, at, length) in _layout.Pieces(Start, Count))
            Master.narrow(0, at, length).copy_(_layout.Parameters[i].reshape(-1).narrow(0, inside, length));
    }

    /// <summary>The master's gradient (made on first use), which the reduce-scatter fills.</summary>
    public Tensor Gradient()
    {
        if (Master.grad is null)
        {
            var g = zeros_like(Master);
            g.DetachFromDisposeScope();
            Master.grad = g;
        }
        return Master.grad!;
    }

    /// <summary>How many elements of [start, start + count) each rank's shard holds, in rank order.</summary>
    public long[] Parts(long start, long count) =>
        [.. _shards.Select(s => Math.Max(0, Math.Min(start + count, s.Start + s.Count) - Math.Max(start, s.Start)))];

    /// <summary>
    /// Global-norm clipping of the shards' gradients: the squared norms of the shards summed over the ranks (the norm of
    /// the whole reduced gradient), each shard scaled by max_norm / (norm + 1e-6) when that is below 1, as
    /// clip_grad_norm_ does. Returns the norm.
    /// </summary>
    public double Clip(double maxNorm, ICollectives control)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var gradient = Gradient();
        var squares = new[] { Count > 0 ? gradient.square().sum().to_type(ScalarType.Float64).item<double>() : 0.0 };
        control.AllReduce(squares, ReduceOp.Sum, "gradient norm");
        var norm = Math.Sqrt(squares[0]);
        var coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1) gradient.mul_(coefficient);
        return norm;
    }

    /// <summary>
    /// Every rank's updated shard into every rank's U-Net, bucket by bucket through <paramref name="reducer"/>'s
    /// staging buffer: the shards are contiguous and in rank order, so a bucket's parts are too (MPI_Allgatherv).
    /// </summary>
    public void Publish(GradientReducer reducer, ICollectives buffers)
    {
        using var _ = no_grad();
        var staging = reducer.Staging;
        var address = TensorMemory.Address(staging);
        for (var b = 0; b < reducer.Ranges.Length; b++)
        {
            using var scope = NewDisposeScope();
            var (start, count) = reducer.Ranges[b];
            var counts = Parts(start, count);
            var own = Math.Max(start, Start);
            var length = Math.Min(start + count, Start + Count) - own;
            if (length > 0) staging.narrow(0, own - start, length).copy_(Master.narrow(0, own - Start, length));
            buffers.AllGatherV(address, counts, ElementType.Float32, $"updated parameter shards, bucket {b + 1}/{reducer.Ranges.Length}");
            foreach (var (i, inside, at, n) in _layout.Pieces(start, count))
                GradientReducer.Flat(_layout.Parameters[i]).narrow(0, inside, n).copy_(staging.narrow(0, at, n));
        }
    }

    /// <summary>Writes the part of a whole parameter's tensor (e.g. an AdamW moment from a checkpoint) that falls in this shard into <paramref name="shard"/>.</summary>
    public void Scatter(int parameter, Tensor whole, Tensor shard)
    {
        using var _ = no_grad();
        foreach (var (i, inside, at, length) in _layout.Pieces(Start, Count))
            if (i == parameter)
                shard.narrow(0, at, length).copy_(whole.reshape(-1).narrow(0, inside, length));
    }

    public void Dispose() => Master.Dispose();
}
