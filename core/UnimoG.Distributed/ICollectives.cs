namespace UnimoG.Distributed;

/// <summary>Element types of a collective's buffer.</summary>
public enum ElementType { Float32, Float64, Byte, Int64 }

/// <summary>Reductions of <see cref="ICollectives.AllReduce"/>.</summary>
public enum ReduceOp { Sum, Max }

/// <summary>
/// The collectives data-parallel training needs, on raw buffers (host memory for MPI, device memory for NCCL), every
/// one in place. <c>what</c> names the call in the watchdog's message. Every rank must make the same calls in the
/// same order with the same counts; a call that waits longer than the collective timeout aborts the whole job.
/// </summary>
public interface ICollectives
{
    int Rank { get; }
    int Size { get; }

    /// <summary>Reduces <paramref name="count"/> elements at <paramref name="buffer"/> over every rank; all get the result.</summary>
    void AllReduce(IntPtr buffer, long count, ElementType type, ReduceOp op, string what);

    /// <summary>
    /// The buffer holds sum(<paramref name="counts"/>) elements, rank r's part at offset sum(counts[..r]); afterwards
    /// every rank has every part.
    /// </summary>
    void AllGatherV(IntPtr buffer, long[] counts, ElementType type, string what);

    /// <summary>
    /// The buffer holds sum(<paramref name="counts"/>) elements on every rank; afterwards rank r's part (at offset
    /// sum(counts[..r])) holds the sum of that part over the ranks (the rest is unspecified). Half an all-reduce.
    /// </summary>
    void ReduceScatterV(IntPtr buffer, long[] counts, ElementType type, string what);

    /// <summary>Rank <paramref name="root"/>'s <paramref name="count"/> elements to every rank.</summary>
    void Broadcast(IntPtr buffer, long count, ElementType type, int root, string what);
}
