using System.Runtime.InteropServices;
using UnimoG.Distributed.Mpi;

namespace UnimoG.Distributed.Nccl;

/// <summary>
/// NCCL for buffers in CUDA memory, through its C API (<c>libnccl.so.2</c>): rank 0's unique id is broadcast over MPI,
/// then every rank joins the communicator. The calls are queued on the default CUDA stream (where TorchSharp's kernels
/// run, so they are ordered with them); <c>synchronize</c> (torch.cuda.synchronize) is called inside the watchdog's
/// scope, so a hang in NCCL aborts the job like one in MPI. All-gather of unequal parts is one broadcast per rank in
/// a group, reduce-scatter of unequal parts one reduce per rank. NEVER RUN: this machine has no GPU and the registry no CUDA TorchSharp; it is compiled here only.
/// </summary>
public sealed unsafe partial class NcclCollectives : ICollectives, IDisposable
{
    private const string Library = "libnccl.so.2";
    private readonly MpiWorld _world;
    private readonly Action _synchronize;
    private IntPtr _comm;

    public int Rank => _world.Rank;
    public int Size => _world.Size;

    public NcclCollectives(MpiWorld world, Action synchronize)
    {
        _world = world;
        _synchronize = synchronize;
        var id = new UniqueId();
        if (world.Rank == 0) Check(GetUniqueId(&id), "ncclGetUniqueId");
        world.Broadcast((IntPtr)(&id), sizeof(UniqueId), ElementType.Byte, 0, "NCCL unique id");
        IntPtr comm;
        using (world.Watch("ncclCommInitRank"))
            Check(CommInitRank(&comm, world.Size, id, world.Rank), "ncclCommInitRank");
        _comm = comm;
    }

    public void AllReduce(IntPtr buffer, long count, ElementType type, ReduceOp op, string what)
    {
        using var _ = _world.Watch(what);
        Check(NcclAllReduce(buffer, buffer, (nuint)count, Type(type), op == ReduceOp.Sum ? 0 : 2, _comm, IntPtr.Zero), $"ncclAllReduce ({what})");
        _synchronize();
    }

    // An all-gather of unequal parts: one ncclBroadcast per rank (that rank the root) in a group.
    public void AllGatherV(IntPtr buffer, long[] counts, ElementType type, string what) =>
        PerRank(buffer, counts, type, what, "ncclBroadcast", (at, n, t, r) => NcclBroadcast(at, at, n, t, r, _comm, IntPtr.Zero));

    // ncclReduceScatter needs equal parts; unequal ones are one ncclReduce per rank (that rank the root) in a group.
    public void ReduceScatterV(IntPtr buffer, long[] counts, ElementType type, string what) =>
        PerRank(buffer, counts, type, what, "ncclReduce", (at, n, t, r) => NcclReduce(at, at, n, t, 0, r, _comm, IntPtr.Zero));

    /// <summary>One call per rank's part of <paramref name="buffer"/> (laid end to end in rank order), grouped.</summary>
    private void PerRank(IntPtr buffer, long[] counts, ElementType type, string what, string name, Func<IntPtr, nuint, int, int, int> call)
    {
        using var _ = _world.Watch(what);
        var size = MpiWorld.ElementSize(type);
        Check(GroupStart(), "ncclGroupStart");
        long offset = 0;
        for (var r = 0; r < counts.Length; r++)
        {
            Check(call(buffer + (nint)(offset * size), (nuint)counts[r], Type(type), r), $"{name} ({what})");
            offset += counts[r];
        }
        Check(GroupEnd(), "ncclGroupEnd");
        _synchronize();
    }

    public void Broadcast(IntPtr buffer, long count, ElementType type, int root, string what)
    {
        using var _ = _world.Watch(what);
        Check(NcclBroadcast(buffer, buffer, (nuint)count, Type(type), root, _comm, IntPtr.Zero), $"ncclBroadcast ({what})");
        _synchronize();
    }

    // ncclDataType_t: ncclUint8 1, ncclInt64 4, ncclFloat32 7, ncclFloat64 8.
    private static int Type(ElementType t) => t switch { ElementType.Float32 => 7, ElementType.Float64 => 8, ElementType.Byte => 1, _ => 4 };

    private static void Check(int result, string call)
    {
        if (result != 0) throw new InvalidOperationException($"{call} failed: {Marshal.PtrToStringUTF8(GetErrorString(result))} (NCCL result {result})");
    }

    public void Dispose()
    {
        if (_comm == IntPtr.Zero) return;
        CommDestroy(_comm);
        _comm = IntPtr.Zero;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct UniqueId
    {
        public fixed byte Internal[128];   // NCCL_UNIQUE_ID_BYTES
    }

    [LibraryImport(Library, EntryPoint = "ncclGetUniqueId")]
    private static partial int GetUniqueId(UniqueId* id);

    [LibraryImport(Library, EntryPoint = "ncclCommInitRank")]
    private static partial int CommInitRank(IntPtr* comm, int ranks, UniqueId id, int rank);

    [LibraryImport(Library, EntryPoint = "ncclAllReduce")]
    private static partial int NcclAllReduce(IntPtr send, IntPtr receive, nuint count, int type, int op, IntPtr comm, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclReduce")]
    private static partial int NcclReduce(IntPtr send, IntPtr receive, nuint count, int type, int op, int root, IntPtr comm, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclBroadcast")]
    private static partial int NcclBroadcast(IntPtr send, IntPtr receive, nuint count, int type, int root, IntPtr comm, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclGroupStart")]
    private static partial int GroupStart();

    [LibraryImport(Library, EntryPoint = "ncclGroupEnd")]
    private static partial int GroupEnd();

    [LibraryImport(Library, EntryPoint = "ncclCommDestroy")]
    private static partial int CommDestroy(IntPtr comm);

    [LibraryImport(Library, EntryPoint = "ncclGetErrorString")]
    private static partial IntPtr GetErrorString(int result);
}
