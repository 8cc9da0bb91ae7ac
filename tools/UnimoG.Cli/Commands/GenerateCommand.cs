using System.CommandLine;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Spectre.Console;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Data.Sampling;
using UnimoG.Engines.InProcess;
using UnimoG.Modeling.Pipelines;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog generate "&lt;img1&gt; wearing &lt;img2&gt;" --image a.png --image b.png --out out.png</c>: one generation,
/// in this process on the default model (every service in-process) or through a gateway (<c>--server</c>).
/// </summary>
internal static partial class GenerateCommand
{
    public static Command Create()
    {
        var prompt = new Argument<string>("PROMPT") { Description = "the prompt; <img1>, <img2>, ... stand for the --image files in order" };
        var images = new Option<string[]>("--image") { Description = "an entity image (PNG, JPEG, WebP, GIF); repeat in <imgN> order", AllowMultipleArgumentsPerToken = false };
        var output = new Option<string>("--out") { Description = "output PNG (with --num-images N: OUT-0.png .. OUT-(N-1).png)", DefaultValueFactory = _ => "out.png" };
        var steps = new Option<int>("--steps") { Description = "sampling steps (0 = the server's default, Describe's default_steps)" };
        var sampler = new Option<string?>("--sampler") { Description = "the sampler (default: the server's, Describe's default_sampler; the list and how they compare: docs/sampling.md)" };
        sampler.AcceptOnlyFromAmong([.. SamplerPresets.Names]);
        var seed = new Option<ulong?>("--seed") { Description = "seed (random when absent; always printed)" };
        var guidance = new Option<float?>("--guidance") { Description = "classifier-free guidance scale (default 5; 1 or less disables it)" };
        var negative = new Option<string?>("--negative") { Description = "negative prompt (replaces the empty prompt of guidance)" };
        var width = new Option<int>("--width") { Description = "image width, a multiple of 8 (0 = the model's size)" };
        var height = new Option<int>("--height") { Description = "image height, a multiple of 8 (0 = the model's size)" };
        var count = new Option<int>("--num-images") { Description = "images to generate from the seed", DefaultValueFactory = _ => 1 };
        var eta = new Option<float>("--eta") { Description = "DDIM eta in [0, 1] (--sampler ddim only)" };
        var previews = new Option<string?>("--previews") { Description = "folder for previews (step-NNN-I.png)" };
        var every = new Option<int>("--preview-every") { Description = "preview every K steps (with --previews)", DefaultValueFactory = _ => 5 };
        var kind = new Option<string>("--preview-kind") { Description = "linear (cheap projection) or latent (exact VAE decode)", DefaultValueFactory = _ => "linear" };
        kind.AcceptOnlyFromAmong("linear", "latent");
        var exact = new Option<int>("--exact-preview-every") { Description = "with linear previews: an exact (VAE-decoded) one every K steps instead, K a multiple of --preview-every (0 = none)" };
        var server = new Option<string?>("--server") { Description = "a gateway URL (http://host:5000); without it every service runs in this process" };
        var apiKey = new Option<string?>("--api-key") { Description = "API key for the gateway (or UNIMOG_API_KEY)" };
        var model = new Option<string?>("--model") { Description = $"one-process mode: a model folder (default {ModelPaths.DefaultRelative}), or a training run's output folder or checkpoint (its U-Net with --base-model's other components)" };
        var baseModel = new Option<string?>("--base-model") { Description = $"with --model RUN: the model folder whose VAE, encoder and scheduler the run trained with (default {ModelPaths.DefaultRelative})" };
        var threads = new Option<int>("--threads") { Description = "torch threads in one-process mode (0 = torch's default)" };
        var device = new Option<string?>("--device") { Description = "one-process mode: cpu, cuda or cuda:N (default Model__Device, else cpu)" };
        var dtype = new Option<string?>("--dtype") { Description = "one-process mode: float32, bfloat16 or float16 (default Model__Dtype, else float32)" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "one-process mode: LLaMA-2's tokenizer.model when the model folder cannot find it (or Model__TokenizerPath)" };

        var command = new Command("generate", "Generate images from a multimodal prompt (text with <imgN> placeholders and images).") { prompt };
        foreach (var o in new Option[] { images, output, steps, sampler, seed, guidance, negative, width, height, count, eta, previews, every, kind, exact, server, apiKey, model, baseModel, threads, device, dtype, tokenizer })
            command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var request = new GenerateRequest
            {
                Prompt = new Prompt { Text = parse.GetValue(prompt)! },
                Steps = parse.GetValue(steps), Width = parse.GetValue(width), Height = parse.GetValue(height),
                NumImages = parse.GetValue(count), Eta = parse.GetValue(eta), Sampler = parse.GetValue(sampler) ?? "",
            };
            foreach (var path in parse.GetValue(images) ?? [])
                request.Prompt.Images.Add(new ImageInput { Data = ByteString.CopyFrom(File.Exists(path) ? File.ReadAllBytes(path) : throw new FileNotFoundException($"--image: no such file: {path}", path)) });
            if (parse.GetValue(seed) is { } s) request.Seed = s;
            if (parse.GetValue(guidance) is { } g) request.GuidanceScale = g;
            if (parse.GetValue(negative) is { Length: > 0 } n) request.NegativePrompt = new Prompt { Text = n };
            var previewDir = parse.GetValue(previews);
            if (previewDir is not null)
            {
                request.PreviewInterval = parse.GetValue(every);
                request.PreviewKind = parse.GetValue(kind) == "latent" ? PreviewKind.Latent : PreviewKind.Linear;
                request.ExactPreviewInterval = parse.GetValue(exact);
                Directory.CreateDirectory(previewDir);
            }
            var chosen = TrainedModel.Resolve(parse.GetValue(model), parse.GetValue(baseModel));
            var options = new RunOptions(parse.GetValue(output)!, previewDir, parse.GetValue(server), parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("UNIMOG_API_KEY"),
                chosen.ModelPath, parse.GetValue(threads),
                parse.GetValue(tokenizer) ?? Environment.GetEnvironmentVariable("Model__TokenizerPath"),
                parse.GetValue(device) ?? Environment.GetEnvironmentVariable("Model__Device") ?? "cpu",
                parse.GetValue(dtype) ?? Environment.GetEnvironmentVariable("Model__Dtype") ?? "float32",
                parse.GetValue(device) is not null || parse.GetValue(dtype) is not null, chosen.UNetPath);
            return await RunAsync(request, options, ct);
        });
        return command;
    }

    public sealed record RunOptions(string Out, string? PreviewDir, string? Server, string? ApiKey, string ModelPath, int Threads, string? Tokenizer = null,
        string Device = "cpu", string Dtype = "float32", bool PlacementGiven = false, string? UNetPath = null);

    public static async Task<int> RunAsync(GenerateRequest request, RunOptions options, CancellationToken ct)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (options.Server is { } url)
        {
            if (options.UNetPath is not null)
                throw new UsageException("--model RUN_FOLDER runs in this process; with --server the gateway's services use their own Model:Path and Model:UNetPath");
            if (options.PlacementGiven)
                throw new UsageException("--device and --dtype choose where this process computes; with --server the services do (their Model:Device and Model:Dtype)");
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new UsageException($"--server must be an http:// or https:// URL, got '{url}'");
            using var channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 });
            CallInvoker invoker = options.ApiKey is { Length: > 0 } key
                ? channel.Intercept(m => { m.Add("x-api-key", key); return m; })
                : channel.CreateCallInvoker();
            var client = new UnimoGClient(new UnimoG.Contracts.V1.Gateway.GatewayClient(invoker));
            try
            {
                var info = await client.DescribeAsync(ct);
                return await ConsumeAsync(client.GenerateAsync(request, ct), options, console, $"gateway {url}", (info.DefaultWidth, info.DefaultHeight), ct);
            }
            catch (UnimoGException e) when (e.Status == StatusCode.Unavailable && e.InnerException is RpcException { Status.DebugException: not null })
            {
                // The transport's own words ("Error connecting to subchannel.") name neither the server nor a way out.
                throw new UsageException($"no gateway answers at {url} ({e.Detail}); start one with: ./unimog serve --role all --urls {uri.GetLeftPart(UriPartial.Authority)}");
            }
        }
        if (!Directory.Exists(options.ModelPath))
            throw new UsageException($"model folder not found: {options.ModelPath} (give --model DIR, or make one: unimog models init-placeholder --out DIR)");
        Console.Out.WriteLine(options.UNetPath is null ? $"loading {options.ModelPath} (every service in this process)..."
            : $"loading the U-Net {options.UNetPath} with the VAE, encoder and scheduler of {options.ModelPath} (every service in this process)...");
        using var local = OneProcess.Load(options.ModelPath, new UnimoG.Engines.Inference.ModelOptions
        {
            Path = options.ModelPath, UNetPath = options.UNetPath, Threads = options.Threads, TokenizerPath = options.Tokenizer, Device = options.Device, Dtype = options.Dtype,
        });
        var events = Local(local, request, ct);
        var model = await local.Pipeline.ModelAsync(ct);
        return await ConsumeAsync(events, options, console, "in process", (model.DefaultWidth, model.DefaultHeight), ct);
    }

    private static async IAsyncEnumerable<GenerationEvent> Local(OneProcess local, GenerateRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        IAsyncEnumerator<GenerateEvent> e;
        try
        {
            e = local.Pipeline.GenerateAsync(request, Guid.NewGuid().ToString("N"), ct).GetAsyncEnumerator(ct);
        }
        catch (Exception x)
        {
            throw UnimoG.Engines.Faults.ForClient(x);
        }
        await using (e)
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await e.MoveNextAsync();
                }
                catch (Exception x)
                {
                    // The same statuses the gateway would answer over the network.
                    throw UnimoG.Engines.Faults.ForClient(x);
                }
                if (!more) yield break;
                yield return GenerationEvent.From(e.Current);
            }
        }
    }
}
