using System.CommandLine;
using System.Diagnostics;
using Grpc.Net.Client;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Engines.Inference;
using UnimoG.Engines.InProcess;
using UnimoG.Engines.Gateway;
using static TorchSharp.torch;

namespace UnimoG.Cli;

/// <summary>
/// Service benchmarks (docs/benchmarks.md): <c>bench e2e</c> (one-process vs distributed), <c>bench batching</c>
/// (8 concurrent requests with and without dynamic batching) and <c>bench previews</c> (what a preview costs next
/// to a step). Medians of several runs; the variants alternate within each run so drift hits both alike.
/// </summary>
internal static class BenchServices
{
    private static Option<string?> ModelOption() => new("--model") { Description = $"model folder (default {ModelPaths.DefaultRelative})" };
    private static Option<int> RunsOption(int d) => new("--runs") { Description = "measured runs (after one warm-up)", DefaultValueFactory = _ => d };
    private static Option<int> StepsOption(int d) => new("--steps") { Description = "denoising steps per request", DefaultValueFactory = _ => d };
    private static Option<int> ThreadsOption() => new("--threads") { Description = "torch threads (0 = torch's default)" };

    public static Command EndToEnd()
    {
        var model = ModelOption(); var runs = RunsOption(5); var steps = StepsOption(20); var threads = ThreadsOption();
        var command = new Command("e2e", "End-to-end generation time: every service in one process vs four hosts on loopback HTTP/2.") { model, runs, steps, threads };
        command.SetAction(async (parse, ct) =>
        {
            var dir = ModelPaths.Resolve(parse.GetValue(model));
            var options = new UnimoG.Engines.Inference.ModelOptions { Path = dir, Threads = parse.GetValue(threads), TokenizerPath = Environment.GetEnvironmentVariable("Model__TokenizerPath") };
            Header("e2e", dir);
            using var local = OneProcess.Load(dir, options);
            var settings = new Dictionary<string, string?> { ["Log:MinimumLevel"] = "Error", ["Model:Threads"] = options.Threads.ToString(), ["Model:TokenizerPath"] = options.TokenizerPath };
            await using var cluster = await LoopbackCluster.StartAsync(dir, settings);
            using var channel = GrpcChannel.ForAddress(cluster.GatewayAddress);
            var remote = new UnimoGClient(new UnimoG.Contracts.V1.Gateway.GatewayClient(channel));
            var request = Request(parse.GetValue(steps));
            var times = new Dictionary<string, List<double>> { ["one-process"] = [], ["distributed"] = [] };
            for (var run = 0; run <= parse.GetValue(runs); run++)
            {
                var a = await Time(() => Drain(local.Pipeline, request, ct));
                var b = await Time(() => remote.GenerateImagesAsync(request, ct));
                if (run == 0) continue; // warm-up
                times["one-process"].Add(a);
                times["distributed"].Add(b);
                Console.Out.WriteLine($"run {run}: one-process {a:0} ms, distributed {b:0} ms");
            }
            Report(times, "one-process");
            return 0;
        });
        return command;
    }

    public static Command Batching()
    {
        var model = ModelOption(); var runs = RunsOption(3); var steps = StepsOption(20); var threads = ThreadsOption();
        var count = new Option<int>("--requests") { Description = "concurrent requests", DefaultValueFactory = _ => 8 };
        var command = new Command("batching", "Concurrent requests with and without dynamic batching (one process).") { model, runs, steps, threads, count };
        command.SetAction(async (parse, ct) =>
        {
            var dir = ModelPaths.Resolve(parse.GetValue(model));
            var options = new UnimoG.Engines.Inference.ModelOptions { Path = dir, Threads = parse.GetValue(threads), TokenizerPath = Environment.GetEnvironmentVariable("Model__TokenizerPath") };
            var n = parse.GetValue(count);
            Header("batching", dir);
            using var batched = OneProcess.Load(dir, options, denoiser: new DenoiserOptions { MaxBatchImages = n, MaxQueue = n });
            using var single = OneProcess.Load(dir, options, denoiser: new DenoiserOptions { MaxBatchImages = 1, MaxQueue = n });
            var times = new Dictionary<string, List<double>> { ["batched"] = [], ["one at a time"] = [] };
            var latency = new Dictionary<string, List<double>> { ["batched"] = [], ["one at a time"] = [] };
            for (var run = 0; run <= parse.GetValue(runs); run++)
            {
                foreach (var (name, p) in new[] { ("batched", batched.Pipeline), ("one at a time", single.Pipeline) })
                {
                    var each = new double[n];
                    var wall = await Time(() => Task.WhenAll(Enumerable.Range(0, n).Select(async i =>
                    {
                        var r = Request(parse.GetValue(steps), seed: (ulong)i, text: i % 2 == 0 ? "<img1> wearing a hat" : "<img1> eating a pizza on a sunny beach");
                        each[i] = await Time(() => Drain(p, r, ct));
                    })));
                    if (run == 0) continue;
                    times[name].Add(wall);
                    latency[name].AddRange(each);
                    Console.Out.WriteLine($"run {run} {name}: {n} requests in {wall:0} ms ({n * 1000.0 / wall:0.00} images/s), median latency {Median(each):0} ms");
                }
            }
            Report(times, "batched");
            Console.Out.WriteLine($"median per-request latency: batched {Median(latency["batched"]):0} ms, one at a time {Median(latency["one at a time"]):0} ms");
            return 0;
        });
        return command;
    }

    public static Command Previews()
    {
        var model = ModelOption(); var runs = RunsOption(50); var threads = ThreadsOption();
        var images = new Option<int>("--images") { Description = "images per request (latent rows)", DefaultValueFactory = _ => 1 };
        var command = new Command("previews", "What a preview costs next to a denoising step: a guided U-Net step vs a linear preview vs an exact VAE decode.") { model, runs, threads, images };
        command.SetAction(parse =>
        {
            var dir = ModelPaths.Resolve(parse.GetValue(model));
            if (parse.GetValue(threads) > 0) set_num_threads(parse.GetValue(threads));
            Header("previews", dir);
            var folder = Modeling.Pipelines.ModelFolder.Open(dir);
            using var unet = Modeling.Diffusion.UNet2DConditionModel.FromPretrained(folder.UNetFolder);
            using var vae = Modeling.Diffusion.AutoencoderKL.FromPretrained(folder.VaeFolder);
            var scheduler = new Modeling.Schedulers.DdimScheduler(folder.Scheduler);
            var preview = folder.Preview ?? throw new UsageException($"{dir} has no preview factors (unimog models fit-preview)");
            var n = parse.GetValue(images);
            var f = folder.VaeScaleFactor;
            using var noGrad = no_grad();
            var g = new Generator(1);
            using var x = randn([n, folder.LatentChannels, folder.DefaultHeight / f, folder.DefaultWidth / f], generator: g);
            using var cond = new Modeling.Conditioning(randn([n, 12, folder.CrossAttentionDim], generator: g), ones(n, 12, dtype: ScalarType.Int64));
            using var uncond = new Modeling.Conditioning(randn([n, 12, folder.CrossAttentionDim], generator: g), ones(n, 12, dtype: ScalarType.Int64));
            var denoiser = Modeling.Sampling.SamplingAdapters.FromUNet((s, t, h, m) => unet.forward(s, t, h, m));
            var times = new Dictionary<string, List<double>> { ["denoising step (guided)"] = [], ["linear preview (PNG)"] = [], ["latent preview (VAE decode + PNG)"] = [] };
            for (var i = 0; i <= parse.GetValue(runs); i++)
            {
                var sw = Stopwatch.StartNew();
                using (NewDisposeScope())
                {
                    // The served step: one guided U-Net call and the request's scheduler step (a fresh 50-step run each time).
                    using var run = scheduler.Start(new(50));
                    Modeling.Sampling.GuidedStep.Run(denoiser, [new Modeling.Sampling.GuidedRows(run, x, cond, uncond, 5.0)]);
                }
                var stepMs = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                var linear = preview.Pngs(x);
                var linearMs = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                using (NewDisposeScope())
                {
                    var decoded = Modeling.Images.Png.EncodeBatch(vae.Decode(Modeling.Sampling.LatentSpace.ToVae(x, vae.Config.ScalingFactor, vae.Config.ShiftFactor)));
                }
                var latentMs = sw.Elapsed.TotalMilliseconds;
                if (i == 0 || linear.Count != n) continue; // warm-up
                times["denoising step (guided)"].Add(stepMs);
                times["linear preview (PNG)"].Add(linearMs);
                times["latent preview (VAE decode + PNG)"].Add(latentMs);
            }
            var step0 = Median(times["denoising step (guided)"]);
            foreach (var (name, values) in times)
                Console.Out.WriteLine($"{name,-34} median {Median(values),8:0.00} ms over {values.Count} (min {values.Min():0.00}); {Median(values) / step0 * 100,6:0.0} % of a step");
            return 0;
        });
        return command;
    }

    internal static GenerateRequest Request(int steps, ulong seed = 42, string text = "<img1> wearing <img2>")
    {
        var examples = Path.Combine(Path.GetDirectoryName(ModelPaths.Resolve(null))!, "examples");
        var images = new[] { "dog.png", "top-hat.png" }.Select(f => Path.Combine(examples, f)).Where(File.Exists).Select(File.ReadAllBytes).ToArray();
        if (images.Length < 2) throw new UsageException($"the example images are missing from {examples}");
        var r = UnimoGClient.Request(text, text.Contains("<img2>") ? images : images[..1]);
        r.Steps = steps;
        r.Seed = seed;
        return r;
    }

    private static async Task Drain(GenerationPipeline pipeline, GenerateRequest request, CancellationToken ct)
    {
        await foreach (var _ in pipeline.GenerateAsync(request, Guid.NewGuid().ToString("N"), ct)) { }
    }

    private static async Task<double> Time(Func<Task> action)
    {
        var sw = Stopwatch.StartNew();
        await action();
        return sw.Elapsed.TotalMilliseconds;
    }

    internal static double Median(IReadOnlyCollection<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static void Header(string what, string dir) =>
        Console.Out.WriteLine($"bench {what}: {dir}, {get_num_threads()} torch threads, {Environment.ProcessorCount} cores, load average {BenchCommand.Load()}");

    private static void Report(Dictionary<string, List<double>> times, string reference)
    {
        var r = Median(times[reference]);
        foreach (var (name, values) in times)
            Console.Out.WriteLine($"{name,-14} median {Median(values),8:0} ms over {values.Count} runs (min {values.Min():0}, max {values.Max():0}); ratio to {reference} {Median(values) / r:0.00}");
    }
}
