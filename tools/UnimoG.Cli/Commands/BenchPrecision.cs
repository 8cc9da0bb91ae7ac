using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Engines;
using UnimoG.Engines.Gateway;
using UnimoG.Engines.Inference;
using UnimoG.Engines.InProcess;
using UnimoG.Imaging;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog bench precision</c>: the same one-process generation in two dtypes, alternating within each run: time
/// per image, the PSNR of the final images against the first dtype's over several seeds, and the tensor bytes each
/// service hop carries (conditions encoder -> gateway -> denoiser, the latent denoiser -> gateway -> VAE).
/// </summary>
internal static class BenchPrecision
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = $"model folder (default {ModelPaths.DefaultRelative})" };
        var runs = new Option<int>("--runs") { Description = "measured runs per dtype (after one warm-up)", DefaultValueFactory = _ => 5 };
        var steps = new Option<int>("--steps") { Description = "denoising steps per image", DefaultValueFactory = _ => 30 };
        var seeds = new Option<int>("--seeds") { Description = "seeds compared for PSNR", DefaultValueFactory = _ => 8 };
        var dtypes = new Option<string>("--dtypes") { Description = "reference dtype, compared dtype", DefaultValueFactory = _ => "float32,bfloat16" };
        var command = new Command("precision", "One-process generation in two dtypes: time, PSNR of the final images over seeds, wire bytes per hop.") { model, runs, steps, seeds, dtypes };
        command.SetAction(async (parse, ct) =>
        {
            var dir = ModelPaths.Resolve(parse.GetValue(model));
            var names = parse.GetValue(dtypes)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (names.Length != 2) throw new UsageException("--dtypes takes two dtypes, e.g. float32,bfloat16");
            if (parse.GetValue(runs) < 1 || parse.GetValue(steps) < 1 || parse.GetValue(seeds) < 1) throw new UsageException("--runs, --steps and --seeds must be positive");
            Console.Out.WriteLine($"bench precision: {dir}, {TorchSharp.torch.get_num_threads()} torch threads, {Environment.ProcessorCount} cores, load average {BenchCommand.Load()}");
            var variants = names.Select(n => Variant.Load(dir, n)).ToList();
            try
            {
                await Run(variants, parse.GetValue(runs), parse.GetValue(steps), parse.GetValue(seeds), ct);
            }
            finally
            {
                foreach (var v in variants) v.Dispose();
            }
            Console.Out.WriteLine($"load average after: {BenchCommand.Load()}");
            return 0;
        });
        return command;
    }

    private static async Task Run(List<Variant> variants, int runs, int steps, int seeds, CancellationToken ct)
    {
        var times = variants.ToDictionary(v => v.Name, _ => new List<double>());
        for (var run = 0; run <= runs; run++)
            foreach (var v in variants)
            {
                var sw = Stopwatch.StartNew();
                await v.GenerateAsync(steps, (ulong)run, ct);
                if (run > 0) times[v.Name].Add(sw.Elapsed.TotalMilliseconds);
            }
        var reference = BenchServices.Median(times[variants[0].Name]);
        foreach (var v in variants)
            Console.Out.WriteLine($"{v.Name,-9} generation median {BenchServices.Median(times[v.Name]),7:0} ms over {runs} runs " +
                $"(min {times[v.Name].Min():0}); speed-up over {variants[0].Name} {reference / BenchServices.Median(times[v.Name]):0.00}x");

        var psnr = new List<double>();
        for (var seed = 0; seed < seeds; seed++)
        {
            var a = ImageDecoder.Decode(await variants[0].GenerateAsync(steps, (ulong)(1000 + seed), ct));
            var b = ImageDecoder.Decode(await variants[1].GenerateAsync(steps, (ulong)(1000 + seed), ct));
            psnr.Add(Psnr.Rgb(a, b));
        }
        Console.Out.WriteLine($"PSNR {variants[1].Name} vs {variants[0].Name} over {seeds} seeds ({steps} steps): mean {psnr.Average():0.0} dB, " +
            $"min {psnr.Min():0.0} dB, max {psnr.Max():0.0} dB [{string.Join(", ", psnr.Select(p => p.ToString("0.0")))}]");
        foreach (var v in variants)
            Console.Out.WriteLine($"{v.Name,-9} wire bytes per image: conditions {v.Wire.Conditions:N0} per hop (prompt + empty prompt; encoder -> gateway, " +
                $"gateway -> denoiser), latent {v.Wire.Latent:N0} per hop ({v.Wire.LatentType}; denoiser -> gateway, gateway -> VAE)");
    }

    /// <summary>One dtype's engines in this process, with clients that count the tensor bytes they hand over.</summary>
    private sealed class Variant(string name, OneProcess engines, WireMeter wire) : IDisposable
    {
        public string Name { get; } = name;
        public WireMeter Wire { get; } = wire;
        private readonly GenerationPipeline _pipeline = new(wire.Encoder(new InProcessEncoder(() => engines.Encoder)),
            new InProcessDenoiser(() => engines.Denoiser), wire.Vae(new InProcessVae(() => engines.Vae)),
            new GatewayOptions(), new ImageStore(), NullLogger<GenerationPipeline>.Instance);

        public static Variant Load(string dir, string dtype) =>
            new(dtype, OneProcess.Load(dir, new ModelOptions { Path = dir, Dtype = dtype, TokenizerPath = Environment.GetEnvironmentVariable("Model__TokenizerPath") }), new WireMeter());

        public async Task<byte[]> GenerateAsync(int steps, ulong seed, CancellationToken ct)
        {
            var request = BenchServices.Request(steps, seed);
            byte[]? png = null;
            Wire.Reset();
            await foreach (var e in _pipeline.GenerateAsync(request, Guid.NewGuid().ToString("N"), ct))
                if (e.EventCase == GenerateEvent.EventOneofCase.Image) png = e.Image.Png.ToByteArray();
            return png ?? throw new InvalidOperationException("the generation returned no image");
        }

        public void Dispose() => engines.Dispose();
    }
}
