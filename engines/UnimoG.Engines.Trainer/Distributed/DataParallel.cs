using System.Diagnostics;
using TorchSharp.Modules;
using UnimoG.Distributed;
using UnimoG.Distributed.Mpi;
using UnimoG.Engines.Trainer.Config;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Distributed;

/// <summary>
/// One rank of a data-parallel run: MPI for control (flags, metrics, paths, generator states, barriers) and a buffer
/// collective for gradients and parameters: MPI on the CPU, NCCL for CUDA tensors in the CUDA build. The trainer
/// calls only this; a single process has none.
/// </summary>
public sealed class DataParallel : IDisposable
{
    /// <summary>Built with -p:TorchBackend=cuda (a field, not a constant: both branches stay compiled in both builds).</summary>
#if TORCH_CUDA
    private static readonly bool CudaBuild = true;
#else
    private static readonly bool CudaBuild = false;
#endif
    private GradientReducer? _reducer;

    public MpiWorld World { get; }
    public ICollectives Buffers { get; }
    public DistributedSettings Settings { get; }
    public int Rank => World.Rank;
    public int Size => World.Size;
    public bool IsRoot => World.Rank == 0;
    public TimeSpan CheckpointTimeout => TimeSpan.FromSeconds(Settings.CheckpointTimeoutSeconds);

    internal FlatLayout? Layout { get; private set; }
    internal ZeroShard? Zero { get; private set; }
    internal GradientReducer Reducer => _reducer ?? throw new InvalidOperationException("Attach first");

    /// <summary>Seconds spent in the gradient all-reduce and the parameter all-gather of the last step.</summary>
    public double LastCommunicationSeconds { get; private set; }

    private DataParallel(MpiWorld world, ICollectives buffers, DistributedSettings settings) => (World, Buffers, Settings) = (world, buffers, settings);

    /// <summary>This rank of the job <paramref name="world"/>, with the buffers' collective for the configuration's device.</summary>
    public static DataParallel Join(MpiWorld world, TrainingConfig config)
    {
        world.Timeout = TimeSpan.FromSeconds(config.Distributed.CollectiveTimeoutSeconds);
        ICollectives buffers = world;
        if (CudaBuild && config.Device == "cuda")
        {
            var device = TorchSharp.torch.device(config.Device);
            buffers = new UnimoG.Distributed.Nccl.NcclCollectives(world, () => TorchSharp.torch.cuda.synchronize(device));
        }
        return new DataParallel(world, buffers, config.Distributed);
    }

    public string Description =>
        $"{World.Description}; gradients over {(ReferenceEquals(Buffers, World) ? "MPI" : "NCCL")} in {_reducer?.Ranges.Length ?? 0} bucket(s) of up to {Settings.BucketMb:G4} MB; "
        + (Zero is { } z ? $"ZeRO-1 shard [{z.Start}, {z.Start + z.Count}) of {Layout!.Total}" : "AdamW state on every rank") + $"; random draws per {Settings.Random}";

    /// <summary>
    /// The device of this rank: <c>cuda</c> becomes <c>cuda:LOCAL_RANK</c> (one GPU per rank of a node; Open MPI's
    /// OMPI_COMM_WORLD_LOCAL_RANK), anything else stays.
    /// </summary>
    public static string DeviceFor(string device) =>
        device == "cuda" && int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_RANK"), out var local) ? $"cuda:{local}" : device;

    /// <summary>Lays out the parameters and, with ZeRO-1, makes this rank's master shard.</summary>
    internal void Attach(IReadOnlyList<Parameter> parameters, Device device)
    {
        Layout = new FlatLayout(parameters);
        _reducer = new GradientReducer(Layout, Settings.BucketMb, device);
        if (Settings.ZeroStage == 1) Zero = new ZeroShard(Layout, Rank, Size, device);
    }

    internal void ReduceGradients()
    {
        var clock = Stopwatch.StartNew();
        Reducer.Reduce(Buffers, World);
        LastCommunicationSeconds = clock.Elapsed.TotalSeconds;
    }

    /// <summary>ZeRO-1: the gradients reduce-scattered into this rank's shard, then clipped by the global norm (returned; NaN without clipping).</summary>
    internal double ReduceIntoShard(double maxNorm)
    {
        var clock = Stopwatch.StartNew();
        Reducer.ReduceScatter(Buffers, World, Zero!);
        LastCommunicationSeconds = clock.Elapsed.TotalSeconds;
        return maxNorm > 0 ? Zero!.Clip(maxNorm, World) : double.NaN;
    }

    /// <summary>ZeRO-1 after the rank's AdamW step: every shard to every rank.</summary>
    internal void PublishShards()
    {
        var clock = Stopwatch.StartNew();
        Zero!.Publish(Reducer, Buffers);
        LastCommunicationSeconds += clock.Elapsed.TotalSeconds;
    }

    /// <summary>The OR of every rank's flags (a stop or a checkpoint asked on one rank holds for all, at the same step).</summary>
    public bool[] Agree(params bool[] flags)
    {
        var values = flags.Select(f => f ? 1.0 : 0.0).ToArray();
        World.AllReduce(values, ReduceOp.Max, "stop and checkpoint flags");
        return [.. values.Select(v => v > 0)];
    }

    /// <summary>Element-wise sums over the ranks.</summary>
    public double[] Sum(params double[] values)
    {
        World.AllReduce(values, ReduceOp.Sum, "step metrics");
        return values;
    }

    public void Dispose()
    {
        Zero?.Dispose();
        _reducer?.Dispose();
        (Buffers as UnimoG.Distributed.Nccl.NcclCollectives)?.Dispose();
    }
}
