using System.CommandLine;
using System.Diagnostics;
using TorchSharp;
using UnimoG.Modeling;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog bench unet</c>: U-Net denoising-step latency and peak memory with random (initialised) weights,
/// in inference mode, one dispose scope per step.
/// </summary>
internal static class BenchUNet
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "named configuration (sd15, paper) or a folder with a unet config", DefaultValueFactory = _ => "sd15" };
        var batch = new Option<int>("--batch") { Description = "batch size (2 = one image with classifier-free guidance)", DefaultValueFactory = _ => 2 };
        var steps = new Option<int>("--steps") { Description = "measured steps", DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { Description = "unmeasured steps first", DefaultValueFactory = _ => 1 };
        var threads = new Option<int?>("--threads") { Description = "torch intra-op threads (default: torch's choice)" };
        var size = new Option<int?>("--size") { Description = "latent height and width (default: the config's sample_size)" };
        var tokens = new Option<int>("--tokens") { Description = "condition length L", DefaultValueFactory = _ => 77 };
        var dtype = new Option<string>("--dtype") { Description = "weights and compute: float32, bfloat16 or float16", DefaultValueFactory = _ => "float32" };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var save = new Option<string?>("--save") { Description = "write the random-weight U-Net as a diffusers folder (config.json + weights in --dtype) and stop" };
        var profile = new Option<bool>("--profile") { Description = "also print the median time of each top-level block (conv_in, down_blocks.N, mid_block, up_blocks.N, ...)" };
        var command = new Command("unet", "Benchmark one U-Net forward (a denoising step). A --config folder with weights is loaded (load time and peak RSS reported).")
        {
            config, batch, steps, warmup, threads, size, tokens, dtype, device, save, profile,
        };
        command.SetAction(r =>
        {
            var (at, problem) = ModelPlacement.TryParse(r.GetValue(device)!, r.GetValue(dtype)!, "--device", "--dtype");
            if (at is null) throw new UsageException(problem!);
            if (r.GetValue(save) is { } dir) BenchUNetFolder.Save(r.GetValue(config)!, dir, at, Console.Out);
            else Run(r.GetValue(config)!, r.GetValue(batch), r.GetValue(steps), r.GetValue(warmup), r.GetValue(threads), r.GetValue(size), r.GetValue(tokens), Console.Out, at, r.GetValue(profile));
            return 0;
        });
        return command;
    }

    public static void Run(string configName, int batch, int steps, int warmup, int? threads, int? size, int tokens, TextWriter log, ModelPlacement? at = null, bool profile = false)
    {
        if (batch < 1 || steps < 1 || warmup < 0 || tokens < 1 || threads is < 1 || size is < 1)
            throw new UsageException("--batch, --steps, --tokens, --threads and --size must be positive, --warmup 0 or more");
        var config = BenchUNetFolder.Config(configName);
        at ??= ModelPlacement.Cpu;
        if (threads is { } n) torch.set_num_threads(n);
        var latent = size ?? config.SampleSize?.At(0) ?? 64;
        var width = config.CrossAttentionDim.At(0);
        log.WriteLine($"unet {configName}: {UNet2DConditionModel.CountParameters(config):N0} parameters, batch {batch}, latent {config.InChannels}x{latent}x{latent}, condition {tokens}x{width}, {ModelPlacement.Name(at.DType)} on {at.Device}, {torch.get_num_threads()} threads");
        log.WriteLine($"load average before: {BenchCommand.Load()} ({Environment.ProcessorCount} cores)");

        var sw = Stopwatch.StartNew();
        using var unet = BenchUNetFolder.Build(configName, config, at, log);

        var gen = new Generator(0);
        // As the denoiser feeds it: float32 latents, conditions in the model's dtype, all on its device.
        using var sample = torch.randn([batch, config.InChannels, latent, latent], generator: gen).to(at.Device);
        using var states = torch.randn([batch, tokens, width], generator: gen).to(at.DType, at.Device);
        var times = new List<double>();
        var profiles = new List<BlockTimes>();
        using var _ = torch.inference_mode();
        for (var i = 0; i < warmup + steps; i++)
        {
            using var scope = torch.NewDisposeScope();
            var t = torch.tensor(999f - 20 * i, device: at.Device);
            sw.Restart();
            var blocks = new BlockTimes(sw);
            var eps = unet.forward(sample, t, states, null, null, profile ? blocks.Mark : null);
            var sum = eps.to_type(ScalarType.Float32).sum().item<float>();   // forces the result (and catches NaN)
            var ms = sw.Elapsed.TotalMilliseconds;
            var (rss, peak) = BenchCommand.Memory();
            scope.Dispose();
            // Live tensors stay at the weights + inputs when nothing leaks; RSS may still drift with the allocator.
            var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            log.WriteLine($"step {i + 1}{(i < warmup ? " (warm-up)" : "")}: {ms:F0} ms, RSS {Gb(rss)}, peak {Gb(peak)}, live tensors {live}{(float.IsFinite(sum) ? "" : ", NOT FINITE")}");
            if (i >= warmup) { times.Add(ms); profiles.Add(blocks); }
        }
        if (profile) BlockTimes.Print(profiles, log);
        var median = BlockTimes.Median(times);
        times.Sort();
        log.WriteLine($"median step {median:F0} ms (min {times[0]:F0}, max {times[^1]:F0}) over {steps} steps; peak RSS {Gb(BenchCommand.Memory().Peak)}; load average after: {BenchCommand.Load()}");
    }

    internal static string Gb(long bytes) => $"{bytes / 1e9:F2} GB";
}
