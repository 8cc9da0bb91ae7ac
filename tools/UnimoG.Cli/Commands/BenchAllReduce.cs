using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using UnimoG.Distributed;
using UnimoG.Distributed.Mpi;

namespace UnimoG.Cli;

/// <summary>
/// <c>mpirun -np N unimog bench allreduce [--sizes-mb 1,4,16,64] [--repeats 10]</c>: MPI_Allreduce (sum, float32, in
/// place) of buffers of each size between the ranks, median of the repeats after two warm-ups, each after a barrier.
/// Rank 0 prints the time, the algorithm bandwidth (bytes / time) and the bus bandwidth (x 2(N-1)/N, the bytes a ring
/// moves per rank, comparable across N); every result is checked (each element the sum of 1..N).
/// </summary>
internal static class BenchAllReduce
{
    public static Command Create()
    {
        var sizes = new Option<string>("--sizes-mb") { Description = "buffer sizes in MB, comma-separated", DefaultValueFactory = _ => "1,4,16,64" };
        var repeats = new Option<int>("--repeats") { Description = "timed calls per size (median)", DefaultValueFactory = _ => 10 };
        var command = new Command("allreduce", "MPI all-reduce bandwidth between the ranks of mpirun (docs/training.md, Distributed training).") { sizes, repeats };
        command.SetAction(parse => Run(parse.GetValue(sizes)!, parse.GetValue(repeats)));
        return command;
    }

    private static int Run(string sizes, int repeats)
    {
        if (!MpiWorld.Launched) throw new UsageException("bench allreduce runs under mpirun: mpirun -np 2 ./unimog bench allreduce");
        if (repeats < 1) throw new UsageException($"--repeats must be at least 1, got {repeats}");
        var mb = sizes.Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        using var world = MpiWorld.Init(TimeSpan.FromMinutes(5));
        if (world.Rank == 0)
            Console.Out.WriteLine($"all-reduce over {world.Size} ranks (Open MPI, MPI_Allreduce sum float32 in place), median of {repeats}; load {BenchCommand.Load()}");
        foreach (var size in mb)
        {
            var (seconds, ok) = Measure(world, (long)(size * 1024 * 1024 / 4), repeats);
            var bytes = size * 1024 * 1024;
            var alg = bytes / seconds / 1e9;
            if (world.Rank == 0)
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{size,8:0.###} MB  {seconds * 1e3,9:0.000} ms  algbw {alg,7:0.000} GB/s  busbw {alg * 2 * (world.Size - 1) / world.Size,7:0.000} GB/s  {(ok ? "sums ok" : "WRONG SUMS")}"));
            if (!ok) return 1;
        }
        return 0;
    }

    private static (double Seconds, bool Ok) Measure(MpiWorld world, long count, int repeats)
    {
        var buffer = GC.AllocateUninitializedArray<float>((int)count, pinned: true);
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0);
        var times = new List<double>();
        var ok = true;
        var expected = world.Size * (world.Size + 1) / 2f;
        for (var i = -2; i < repeats; i++)
        {
            Array.Fill(buffer, world.Rank + 1);
            world.Barrier("bench");
            var clock = Stopwatch.StartNew();
            world.AllReduce(address, count, ElementType.Float32, ReduceOp.Sum, "bench all-reduce");
            if (i >= 0) times.Add(clock.Elapsed.TotalSeconds);
            ok &= buffer[0] == expected && buffer[^1] == expected && buffer[count / 2] == expected;
        }
        // every rank must agree that every rank's sums were right
        var flags = new[] { ok ? 0.0 : 1.0 };
        world.AllReduce(flags, ReduceOp.Max, "bench check");
        times.Sort();
        return (times[times.Count / 2], flags[0] == 0);
    }
}
