namespace UnimoG.Distributed.Mpi;

/// <summary>
/// MPI_COMM_WORLD of a process that <c>mpirun</c> (or the MPI Operator's launcher) started: initialised with
/// MPI_THREAD_MULTIPLE (the watchdog aborts from its own thread), errors returned rather than fatal (each failed call
/// throws <see cref="MpiException"/> naming the call), every collective under the <see cref="CollectiveWatchdog"/>.
/// One per process: MPI cannot be initialised again after it is finalised.
/// </summary>
public sealed unsafe class MpiWorld : ICollectives, IDisposable
{
    /// <summary>Exit code of a job ended by the watchdog (MPI_Abort's code).</summary>
    public const int TimeoutExitCode = 3;

    private readonly Handles _h;
    private readonly CollectiveWatchdog _watchdog;
    private readonly int _threadLevel;
    private bool _finalized;

    public int Rank { get; }
    public int Size { get; }

    /// <summary>The wait after which a collective aborts the job.</summary>
    public TimeSpan Timeout { get; set; }

    /// <summary>Where the watchdog's message goes (standard error by default).</summary>
    public Action<string> Report { get; set; } = message => Console.Error.WriteLine(message);

    /// <summary>True when this process was started by Open MPI's launcher (mpirun sets OMPI_COMM_WORLD_SIZE).</summary>
    public static bool Launched => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null;

    /// <summary>
    /// A launcher of another MPI (MPICH's or Intel MPI's Hydra sets PMI_SIZE; Open MPI does not): its ranks would each
    /// run as a whole single process over the same output folder, so callers refuse to start.
    /// </summary>
    public static bool ForeignLauncher => !Launched && Environment.GetEnvironmentVariable("PMI_SIZE") is not null;

    private MpiWorld(Handles h, int threadLevel, TimeSpan timeout)
    {
        _h = h;
        _threadLevel = threadLevel;
        Timeout = timeout;
        Check(MpiNative.CommSetErrhandler(h.World, h.ErrorsReturn), "MPI_Comm_set_errhandler");
        Check(MpiNative.CommRank(h.World, out var rank), "MPI_Comm_rank");
        Check(MpiNative.CommSize(h.World, out var size), "MPI_Comm_size");
        (Rank, Size) = (rank, size);
        _watchdog = new CollectiveWatchdog(OnTimeout);
    }

    /// <summary>MPI_Init_thread and MPI_COMM_WORLD's rank and size.</summary>
    public static MpiWorld Init(TimeSpan timeout)
    {
        var library = MpiNative.OpenGlobal();
        var handles = Handles.Resolve(library);
        var code = MpiNative.InitThread(IntPtr.Zero, IntPtr.Zero, MpiNative.ThreadMultiple, out var provided);
        if (code != MpiNative.Success) throw new MpiException("MPI_Init_thread", code, MpiNative.Describe(code));
        return new MpiWorld(handles, provided, timeout);
    }

    public string Description => $"rank {Rank} of {Size} (Open MPI, thread level {_threadLevel})";

    /// <summary>Puts a call of another library (NCCL) under the same watchdog.</summary>
    public CollectiveWatchdog.Scope Watch(string what, TimeSpan? timeout = null) => _watchdog.Enter(what, timeout ?? Timeout);

    public void AllReduce(IntPtr buffer, long count, ElementType type, ReduceOp op, string what)
    {
        using var _ = _watchdog.Enter(what, Timeout);
        var size = ElementSize(type);
        // MPI counts are ints: larger buffers go in pieces.
        for (long done = 0; done < count; done += int.MaxValue / 2)
        {
            var n = (int)Math.Min(count - done, int.MaxValue / 2);
            Check(MpiNative.Allreduce(MpiNative.InPlace, buffer + (nint)(done * size), n, Type(type), op == ReduceOp.Sum ? _h.Sum : _h.Max, _h.World), $"MPI_Allreduce ({what})");
        }
    }

    public void AllGatherV(IntPtr buffer, long[] counts, ElementType type, string what)
    {
        if (counts.Length != Size) throw new ArgumentException($"{counts.Length} counts for {Size} ranks", nameof(counts));
        var (c, d) = CountsAndDisplacements(counts);
        using var _ = _watchdog.Enter(what, Timeout);
        fixed (int* pc = c, pd = d)
            Check(MpiNative.Allgatherv(MpiNative.InPlace, 0, Type(type), buffer, pc, pd, Type(type), _h.World), $"MPI_Allgatherv ({what})");
    }

    public void ReduceScatterV(IntPtr buffer, long[] counts, ElementType type, string what)
    {
        if (counts.Length != Size) throw new ArgumentException($"{counts.Length} counts for {Size} ranks", nameof(counts));
        var (c, d) = CountsAndDisplacements(counts);
        using (_watchdog.Enter(what, Timeout))
            fixed (int* pc = c)
                Check(MpiNative.ReduceScatter(MpiNative.InPlace, buffer, pc, Type(type), _h.Sum, _h.World), $"MPI_Reduce_scatter ({what})");
        // In place, MPI leaves this rank's part at the start of the buffer: move it to its offset (host memory).
        var size = ElementSize(type);
        if (d[Rank] > 0 && c[Rank] > 0)
            Buffer.MemoryCopy((void*)buffer, (void*)(buffer + (nint)((long)d[Rank] * size)), (long)c[Rank] * size, (long)c[Rank] * size);
    }

    /// <summary>Every rank's <paramref name="counts"/>[rank] elements at <paramref name="send"/> into <paramref name="receive"/> of <paramref name="root"/> (ignored elsewhere).</summary>
    public void GatherV(IntPtr send, IntPtr receive, long[] counts, ElementType type, int root, string what)
    {
        var (c, d) = CountsAndDisplacements(counts);
        using var _ = _watchdog.Enter(what, Timeout);
        fixed (int* pc = c, pd = d)
            Check(MpiNative.Gatherv(send, c[Rank], Type(type), receive, pc, pd, Type(type), root, _h.World), $"MPI_Gatherv ({what})");
    }

    public void Broadcast(IntPtr buffer, long count, ElementType type, int root, string what)
    {
        using var _ = _watchdog.Enter(what, Timeout);
        var size = ElementSize(type);
        for (long done = 0; done < count; done += int.MaxValue / 2)
        {
            var n = (int)Math.Min(count - done, int.MaxValue / 2);
            Check(MpiNative.Bcast(buffer + (nint)(done * size), n, Type(type), root, _h.World), $"MPI_Bcast ({what})");
        }
    }

    /// <summary>Waits for every rank; <paramref name="timeout"/> overrides the collective timeout (e.g. while rank 0 writes a checkpoint).</summary>
    public void Barrier(string what, TimeSpan? timeout = null)
    {
        using var _ = _watchdog.Enter(what, timeout ?? Timeout);
        Check(MpiNative.Barrier(_h.World), $"MPI_Barrier ({what})");
    }

    /// <summary>Ends every rank of the job with <paramref name="code"/> (mpirun exits non-zero).</summary>
    public void Abort(int code)
    {
        if (_threadLevel >= MpiNative.ThreadMultiple || Environment.CurrentManagedThreadId == 1) MpiNative.Abort(_h.World, code);
        MpiNative.Exit(code);   // MPI_Abort does not return; should it, leaving with a non-zero code makes mpirun end the job
    }

    private void OnTimeout(string what, TimeSpan waited)
    {
        Report($"unimog: rank {Rank} of {Size}: {what} has waited {waited.TotalSeconds:0} s, longer than the collective timeout ({Timeout.TotalSeconds:0} s): "
            + "another rank died or hangs; aborting the job");
        Abort(TimeoutExitCode);
    }

    private IntPtr Type(ElementType t) => t switch
    {
        ElementType.Float32 => _h.Float,
        ElementType.Float64 => _h.Double,
        ElementType.Byte => _h.Byte,
        _ => _h.Int64,
    };

    public static int ElementSize(ElementType t) => t switch { ElementType.Float32 => 4, ElementType.Byte => 1, _ => 8 };

    private static (int[] Counts, int[] Displacements) CountsAndDisplacements(long[] counts)
    {
        var c = new int[counts.Length];
        var d = new int[counts.Length];
        long offset = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] > int.MaxValue || offset > int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(counts), "a gather over more than 2^31 elements: use smaller buckets");
            (c[i], d[i]) = ((int)counts[i], (int)offset);
            offset += counts[i];
        }
        return (c, d);
    }

    private static void Check(int code, string call)
    {
        if (code != MpiNative.Success) throw new MpiException(call, code, MpiNative.Describe(code));
    }

    public void Dispose()
    {
        _watchdog.Dispose();
        if (_finalized) return;
        _finalized = true;
        MpiNative.Finalize();
    }
}

/// <summary>An MPI call that returned an error (MPI_ERRORS_RETURN), with MPI's own description.</summary>
public sealed class MpiException(string call, int code, string description) : Exception($"{call} failed: {description} (MPI error {code})")
{
    public int Code { get; } = code;
}
