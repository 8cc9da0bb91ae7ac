using TorchSharp.Modules;
using UnimoG.Distributed;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Distributed;

/// <summary>
/// ZeRO stage 1: this rank's contiguous range of the flattened parameters (<see cref="ShardPartition"/>) as a float32
/// master <see cref="Parameter"/> that the rank's AdamW alone steps, so AdamW's two moments and the master copy of
/// the update exist once across the ranks (12 bytes per parameter / N), not on every rank. After the update the shards
/// are all-gathered into the flat buffer and copied into the U-Net's parameters, which every rank needs whole for its
/// forward. AdamW is element-wise, so the shard's update is the whole optimizer's update restricted to the shard.
/// </summary>
internal sealed class ZeroShard : IDisposable
{
    private readonly FlatLayout _layout;
    private readonly long[] _counts;

    public long Start { get; }
    public long Count { get; }
    public Parameter Master { get; }
    public IReadOnlyList<long> Counts => _counts;

    public ZeroShard(FlatLayout layout, int rank, int size, Device device)
    {
        _layout = layout;
        (Start, Count) = ShardPartition.Of(layout.Total, size, rank);
        _counts = ShardPartition.Counts(layout.Total, size);
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

    /// <summary>The (reduced, clipped) gradients of this shard as the master's gradient.</summary>
    public void TakeGradients()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        if (Master.grad is null)
        {
            var g = zeros_like(Master);
            g.DetachFromDisposeScope();
            Master.grad = g;
        }
        foreach (var (i, inside, at, length) in _layout.Pieces(Start, Count))
        {
            var target = Master.grad!.narrow(0, at, length);
            if (_layout.Parameters[i].grad is { } pg) target.copy_(pg.reshape(-1).narrow(0, inside, length));
            else target.zero_();
        }
    }

    /// <summary>Every rank's updated shard into <paramref name="flat"/>, then into the U-Net's parameters.</summary>
    public void Publish(Tensor flat, ICollectives buffers)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        if (Count > 0) flat.narrow(0, Start, Count).copy_(Master);
        buffers.AllGatherV(TensorMemory.Address(flat), _counts, ElementType.Float32, "updated parameter shards");
        var ps = _layout.Parameters;
        for (var i = 0; i < ps.Count; i++)
            ps[i].copy_(flat.narrow(0, _layout.Offsets[i], ps[i].numel()).view(ps[i].shape));
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
