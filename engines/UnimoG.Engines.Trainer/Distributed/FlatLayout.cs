using TorchSharp.Modules;

namespace UnimoG.Engines.Trainer.Distributed;

/// <summary>
/// The U-Net's parameters laid end to end (in <c>named_parameters</c> order) as one vector of float32 elements:
/// the gradient buckets are ranges of it and the ZeRO-1 shards are too. A parameter may straddle two shards.
/// </summary>
internal sealed class FlatLayout
{
    public IReadOnlyList<Parameter> Parameters { get; }
    public long[] Offsets { get; }
    public long Total { get; }

    public FlatLayout(IReadOnlyList<Parameter> parameters)
    {
        Parameters = parameters;
        Offsets = new long[parameters.Count];
        long offset = 0;
        for (var i = 0; i < parameters.Count; i++)
        {
            Offsets[i] = offset;
            offset += parameters[i].numel();
        }
        Total = offset;
    }

    /// <summary>
    /// The parts of [start, start + count) that fall in each parameter: (parameter index, offset inside the parameter,
    /// offset inside the range, length).
    /// </summary>
    public IEnumerable<(int Index, long Inside, long At, long Length)> Pieces(long start, long count)
    {
        var end = start + count;
        for (var i = 0; i < Parameters.Count; i++)
        {
            var lo = Math.Max(start, Offsets[i]);
            var hi = Math.Min(end, Offsets[i] + Parameters[i].numel());
            if (lo < hi) yield return (i, lo - Offsets[i], lo - start, hi - lo);
        }
    }
}
