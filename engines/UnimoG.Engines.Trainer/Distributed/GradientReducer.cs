using TorchSharp;
using UnimoG.Distributed;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Distributed;

/// <summary>
/// Averages the float32 gradients over the ranks after the backward passes of a step (TorchSharp 0.107 exposes no
/// tensor or grad-accumulator hook to start earlier): the gradients are copied end to end into one flat buffer,
/// all-reduced bucket by bucket (sum, in place), divided by the number of ranks and copied back. A parameter that has
/// a gradient on any rank gets one everywhere (zeros where it had none), so every rank steps the same parameters.
/// </summary>
internal sealed class GradientReducer : IDisposable
{
    private readonly FlatLayout _layout;
    private readonly (long Start, long Count)[] _buckets;

    /// <summary>The flat float32 buffer (gradients, then in ZeRO-1 the gathered parameters).</summary>
    public Tensor Flat { get; }
    public int Buckets => _buckets.Length;

    public GradientReducer(FlatLayout layout, double bucketMb, Device device)
    {
        _layout = layout;
        Flat = zeros([Math.Max(1, layout.Total)], dtype: ScalarType.Float32, device: device);
        var per = Math.Max(1L, (long)(bucketMb * 1024 * 1024 / 4));
        var buckets = new List<(long, long)>();
        for (long at = 0; at < layout.Total; at += per) buckets.Add((at, Math.Min(per, layout.Total - at)));
        _buckets = [.. buckets];
    }

    public void Reduce(ICollectives buffers, ICollectives control)
    {
        var ps = _layout.Parameters;
        var has = ps.Select(p => p.grad is null ? 0.0 : 1.0).ToArray();
        control.AllReduce(has, ReduceOp.Max, "which parameters have gradients");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        for (var i = 0; i < ps.Count; i++)
        {
            var view = Flat.narrow(0, _layout.Offsets[i], ps[i].numel());
            if (ps[i].grad is { } g) view.copy_(g.reshape(-1));
            else view.zero_();
        }
        var address = TensorMemory.Address(Flat);
        for (var b = 0; b < _buckets.Length; b++)
        {
            var (start, count) = _buckets[b];
            buffers.AllReduce(address + (nint)(start * 4), count, ElementType.Float32, ReduceOp.Sum, $"gradient bucket {b + 1}/{_buckets.Length}");
        }
        Flat.div_(buffers.Size);
        for (var i = 0; i < ps.Count; i++)
        {
            if (has[i] == 0) continue;
            var view = Flat.narrow(0, _layout.Offsets[i], ps[i].numel()).view(ps[i].shape);
            if (ps[i].grad is { } g) g.copy_(view);
            else
            {
                var copy = view.clone();
                copy.DetachFromDisposeScope();
                ps[i].grad = copy;
            }
        }
    }

    public void Dispose() => Flat.Dispose();
}
