using System.Runtime.InteropServices;

namespace UnimoG.Distributed.Mpi;

/// <summary>
/// The dozen calls of Open MPI's C API we use, against Debian's <c>libmpi.so.40</c> (Open MPI 4.x). Open MPI's
/// handles are pointers to global objects (<c>MPI_COMM_WORLD</c> is <c>&amp;ompi_mpi_comm_world</c>), resolved by
/// name from the library (<see cref="Handles"/>). The library is opened with <c>RTLD_GLOBAL</c> first: Open MPI's
/// plugins (<c>mca_pml_ob1.so</c>, ...) use libmpi's symbols without linking it, so a local load fails in MPI_Init.
/// </summary>
internal static unsafe partial class MpiNative
{
    public const string Library = "libmpi.so.40";
    public const int Success = 0;
    public const int ThreadMultiple = 3;
    public static readonly IntPtr InPlace = 1;

    [LibraryImport(Library, EntryPoint = "MPI_Init_thread")]
    public static partial int InitThread(IntPtr argc, IntPtr argv, int required, out int provided);

    [LibraryImport(Library, EntryPoint = "MPI_Initialized")]
    public static partial int Initialized(out int flag);

    [LibraryImport(Library, EntryPoint = "MPI_Finalize")]
    public static partial int Finalize();

    [LibraryImport(Library, EntryPoint = "MPI_Comm_rank")]
    public static partial int CommRank(IntPtr comm, out int rank);

    [LibraryImport(Library, EntryPoint = "MPI_Comm_size")]
    public static partial int CommSize(IntPtr comm, out int size);

    [LibraryImport(Library, EntryPoint = "MPI_Comm_set_errhandler")]
    public static partial int CommSetErrhandler(IntPtr comm, IntPtr handler);

    [LibraryImport(Library, EntryPoint = "MPI_Allreduce")]
    public static partial int Allreduce(IntPtr send, IntPtr recv, int count, IntPtr type, IntPtr op, IntPtr comm);

    [LibraryImport(Library, EntryPoint = "MPI_Allgatherv")]
    public static partial int Allgatherv(IntPtr send, int sendCount, IntPtr sendType, IntPtr recv, int* recvCounts, int* displacements, IntPtr recvType, IntPtr comm);

    [LibraryImport(Library, EntryPoint = "MPI_Reduce_scatter")]
    public static partial int ReduceScatter(IntPtr send, IntPtr recv, int* recvCounts, IntPtr type, IntPtr op, IntPtr comm);

    [LibraryImport(Library, EntryPoint = "MPI_Gatherv")]
    public static partial int Gatherv(IntPtr send, int sendCount, IntPtr sendType, IntPtr recv, int* recvCounts, int* displacements, IntPtr recvType, int root, IntPtr comm);

    [LibraryImport(Library, EntryPoint = "MPI_Bcast")]
    public static partial int Bcast(IntPtr buffer, int count, IntPtr type, int root, IntPtr comm);

    [LibraryImport(Library, EntryPoint = "MPI_Barrier")]
    public static partial int Barrier(IntPtr comm);

    [LibraryImport(Library, EntryPoint = "MPI_Abort")]
    public static partial int Abort(IntPtr comm, int code);

    [LibraryImport(Library, EntryPoint = "MPI_Error_string")]
    public static partial int ErrorString(int code, byte* text, out int length);

    /// <summary>Leaves at once with <paramref name="code"/>: no finalizers, no atexit handlers that could block.</summary>
    [LibraryImport("libc.so.6", EntryPoint = "_exit")]
    public static partial void Exit(int code);

    [LibraryImport("libc.so.6", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlOpen(string file, int mode);

    [LibraryImport("libc.so.6", EntryPoint = "dlerror")]
    private static partial IntPtr DlError();

    /// <summary>Opens libmpi with RTLD_NOW | RTLD_GLOBAL; the handle serves the symbol look-ups.</summary>
    public static IntPtr OpenGlobal()
    {
        const int RtldNow = 2, RtldGlobal = 0x100;
        var handle = DlOpen(Library, RtldNow | RtldGlobal);
        if (handle == IntPtr.Zero)
            throw new DllNotFoundException($"{Library} could not be loaded ({Marshal.PtrToStringUTF8(DlError())}): install Open MPI (Debian: openmpi-bin libopenmpi-dev)");
        return handle;
    }

    public static string Describe(int code)
    {
        var buffer = stackalloc byte[512];   // MPI_MAX_ERROR_STRING is 256 in Open MPI
        return ErrorString(code, buffer, out var length) == Success ? Marshal.PtrToStringUTF8((IntPtr)buffer, length) : $"MPI error {code}";
    }
}

/// <summary>Open MPI's predefined handles (addresses of its global objects).</summary>
internal sealed record Handles(IntPtr World, IntPtr Float, IntPtr Double, IntPtr Byte, IntPtr Int64, IntPtr Sum, IntPtr Max, IntPtr ErrorsReturn)
{
    public static Handles Resolve(IntPtr library)
    {
        IntPtr S(string name) => NativeLibrary.GetExport(library, name);
        return new Handles(S("ompi_mpi_comm_world"), S("ompi_mpi_float"), S("ompi_mpi_double"), S("ompi_mpi_byte"), S("ompi_mpi_int64_t"),
            S("ompi_mpi_op_sum"), S("ompi_mpi_op_max"), S("ompi_mpi_errors_return"));
    }
}
