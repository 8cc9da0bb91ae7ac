using UnimoG.Distributed;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Distributed;

/// <summary>
/// Averages the float32 gradients over the ranks after the backward passes of a step (TorchSharp 0.107 exposes no
/// tensor or grad-accumulator hook to start earlier): bucket by bucket, the gradients' elements of a range of the
/// flattened parameters are copied into one staging buffer of <c>bucket_mb</c>, all-reduced there (sum, in place),
/// divided by the number of ranks and copied back. The staging buffer is all the memory this adds. A parameter that
/// has a gradient on any rank gets one everywhere (zeros where it had none), so every rank steps the same parameters.
/// </summary>
internal sealed class GradientReducer : IDisposable
{
    private readonly FlatLayout _layout;

    /// <summary>The buckets: ranges of the flattened parameters, in order.</summary>
    public (long Start, long Count)[] Ranges { get; }

    /// <summary>One bucket of float32 (gradients, then in ZeRO-1 the gathered parameters).</summary>
    public Tensor Staging { get; }

    public GradientReducer(FlatLayout layout, double bucketMb, Device device)
    {
        _layout = layout;
        var per = Math.Max(1L, (long)(bucketMb * 1024 * 1024 / 4));
        var ranges = new List<(long, long)>();
        for (long at = 0; at < layout.Total; at += per) ranges.Add((at, Math.Min(per, layout.Total - at)));
        Ranges = [.. ranges];
        Staging = zeros([Math.Max(1, Math.Min(per, layout.Total))], dtype: ScalarType.Float32, device: device);
    }

    public void Reduce(ICollectives buffers, ICollectives control)
    {
        var ps = _layout.Parameters;
        var has = Flags(control);
        using var _ = no_grad();
        var address = TensorMemory.Address(Staging);
        for (var b = 0; b < Ranges.Length; b++)
        {
            using var scope = NewDisposeScope();
            var (start, count) = Stage(b, has);
            buffers.AllReduce(address, count, ElementType.Float32, ReduceOp.Sum, $"gradient bucket {b + 1}/{Ranges.Length}");
            Staging.narrow(0, 0, count).div_(buffers.Size);
            foreach (var (i, inside, at, length) in _layout.Pieces(start, count))
                if (has[i] > 0) Flat(ps[i].grad!).narrow(0, inside, length).copy_(Staging.narrow(0, at, length));
        }
    }

    /// <summary>
    /// ZeRO-1: each bucket reduce-scattered instead (half the traffic of an all-reduce); this rank's part of it,
    /// averaged, becomes its shard's gradient. The U-Net's own gradients stay this rank's.
    /// </summary>
    public void ReduceScatter(ICollectives buffers, ICollectives control, ZeroShard shard)
    {
        var has = Flags(control);
        using var _ = no_grad();
        var address = TensorMemory.Address(Staging);
        var gradient = shard.Gradient();
        for (var b = 0; b < Ranges.Length; b++)
        {
            using var scope = NewDisposeScope();
            var (start, count) = Stage(b, has);
            buffers.ReduceScatterV(address, shard.Parts(start, count), ElementType.Float32, $"gradient bucket {b + 1}/{Ranges.Length}");
            var own = Math.Max(start, shard.Start);
            var length = Math.Min(start + count, shard.Start + shard.Count) - own;
            if (length > 0) gradient.narrow(0, own - shard.Start, length).copy_(Staging.narrow(0, own - start, length)).div_(buffers.Size);
        }
    }

    /// <summary>Which parameters have a gradient on any rank; those that have none here get zeros.</summary>
    private double[] Flags(ICollectives control)
    {
        var ps = _layout.Parameters;
        var has = ps.Select(p => p.grad is null ? 0.0 : 1.0).ToArray();
        control.AllReduce(has, ReduceOp.Max, "which parameters have gradients");
        using var _ = no_grad();
        for (var i = 0; i < ps.Count; i++)
            if (has[i] > 0 && ps[i].grad is null)
            {
                var zero = zeros_like(ps[i]);
                zero.DetachFromDisposeScope();
                ps[i].grad = zero;
            }
        return has;
    }

    /// <summary>Bucket <paramref name="b"/>'s gradient elements into the staging buffer.</summary>
    private (long Start, long Count) Stage(int b, double[] has)
    {
        var (start, count) = Ranges[b];
        foreach (var (i, inside, at, length) in _layout.Pieces(start, count))
        {
            var target = Staging.narrow(0, at, length);
            if (has[i] > 0) target.copy_(Flat(_layout.Parameters[i].grad!).narrow(0, inside, length));
            else target.zero_();
        }
        return (start, count);
    }

    /// <summary>A contiguous tensor as a 1-D view of its memory (writes go through).</summary>
    internal static Tensor Flat(Tensor t) =>
        t.is_contiguous() ? t.view(-1) : throw new InvalidOperationException("data parallelism needs contiguous parameters and gradients");

    public void Dispose() => Staging.Dispose();
}
