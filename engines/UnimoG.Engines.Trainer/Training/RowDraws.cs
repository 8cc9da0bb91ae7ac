using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Training;

/// <summary>
/// Where a micro-batch's random numbers come from. A single process, and a rank with its own generator
/// (<c>distributed.random: rank</c>), draws for its own rows only (<see cref="Total"/> = <see cref="Count"/>: the calls
/// are exactly the single-process ones). With <c>global</c> draws every rank draws for all <see cref="Total"/> rows of
/// the global batch from the same generator and keeps rows [<see cref="Offset"/>, Offset + Count): the numbers a row
/// gets do not depend on the number of ranks.
/// </summary>
internal sealed record RowDraws(Generator Generator, Device Device, long Offset, long Count, long Total)
{
    public bool Whole => Total == Count;

    /// <summary>U[0, 1) per row.</summary>
    public Tensor Rand() => Keep(rand([Total], device: Device, generator: Generator));

    /// <summary>N(0, I) of [rows, ...<paramref name="rowShape"/>].</summary>
    public Tensor Randn(ReadOnlySpan<long> rowShape, ScalarType? dtype = null, Device? device = null) =>
        Keep(randn([Total, .. rowShape], dtype: dtype, device: device ?? Device, generator: Generator));

    /// <summary>Integers in [0, <paramref name="high"/>) per row (int64).</summary>
    public Tensor RandInt(long high) => Keep(randint(0, high, [Total], device: Device, generator: Generator));

    private Tensor Keep(Tensor all) => Whole ? all : all.narrow(0, Offset, Count);
}
