using System.CommandLine;
using System.Diagnostics;
using TorchSharp;
using UnimoG.Mini;
using UnimoG.Modeling.Diffusion;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog mini budget</c>: the mini model's parts, parameters and F16 megabytes against the 30 MB budget; with
/// <c>--measure</c>, forward and training-step times of each part on random inputs (a benchmark, not a test).
/// </summary>
internal static class MiniBudgetCommand
{
    public static Command Create()
    {
        var adapter = new Option<string>("--adapter") { Description = "MLLM bridge: qformer (8 queries) or mlp (one token per patch).", DefaultValueFactory = _ => "qformer" };
        var measure = new Option<bool>("--measure") { Description = "Also time forward passes and training steps (random weights and inputs)." };
        var batch = new Option<int>("--batch") { Description = "Batch for the training-step timings.", DefaultValueFactory = _ => 32 };
        var threads = MiniCommand.ThreadsOption();
        var unetJson = new Option<string?>("--unet-config") { Description = "A U-Net config.json to budget instead of the mini one (trying sizes)." };
        var command = new Command("budget", "Parameters and F16 size of the mini model's parts (30 MB budget); --measure times them.") { adapter, measure, batch, threads, unetJson };
        command.SetAction(parse =>
        {
            MiniCommand.SetThreads(parse.GetValue(threads));
            var a = parse.GetValue(adapter)!;
            if (a is not ("qformer" or "mlp")) throw new UsageException("--adapter must be qformer or mlp");
            var unet = parse.GetValue(unetJson) is { } path ? ConfigJson.Read<UnimoG.Modeling.Configs.UNet2DConditionConfig>(path) : MiniConfigs.UNet;
            var lines = SizeBudget.Lines(a, unet);
            foreach (var l in lines) Console.WriteLine($"{l.Part,-28} {l.Parameters,12:N0} parameters {l.F16Bytes / 1e6,8:0.00} MB (F16)");
            var total = SizeBudget.Total(lines, 100_000);
            Console.WriteLine($"{"total (+0.1 MB tokenizer, configs)",-28} {lines.Sum(l => l.Parameters),12:N0} parameters {total / 1e6,8:0.00} MB of {MiniConfigs.BudgetBytes / 1e6:0} MB");
            if (parse.GetValue(measure)) Measure(a, parse.GetValue(batch));
            return 0;
        });
        return command;
    }

    private static void Measure(string adapter, int batch)
    {
        Console.WriteLine($"timings: {torch.get_num_threads()} threads, load average {BenchCommand.Load()}, batch {batch} for training steps, medians of 5 after 1 warm-up");
        var g = new Generator(0);
        using (var vae = new AutoencoderKL(MiniConfigs.Vae))
        {
            using var opt = optim.AdamW(vae.parameters(), 1e-4, weight_decay: 0.01);
            var x = torch.rand([batch, 3, 64, 64], generator: g) * 2 - 1;
            Report("vae train step", batch, () =>
            {
                using var posterior = vae.Encode(x);
                var loss = (vae.Decode(posterior.Sample(g)) - x).abs().mean();
                opt.zero_grad();
                loss.backward();
                opt.step();
            });
            using (torch.inference_mode())
            {
                Report("vae encode (B=8)", 8, () => { using var p = vae.Encode(x[..8]); });
                var z = torch.randn([8, 4, 16, 16], generator: g);
                Report("vae decode (B=8)", 8, () => vae.Decode(z));
            }
        }
        var arch = MiniConfigs.Mllm(adapter);
        var (vision, bridge, llm) = arch.BuildParts();
        using (vision)
        using (var bridgeModule = (nn.Module)bridge)
        using (llm)
        {
            var parameters = vision.parameters().Concat(bridgeModule.parameters()).Concat(llm.parameters()).ToList();
            using var opt = optim.AdamW(parameters, 1e-4, weight_decay: 0.01);
            var px = torch.randn([batch, 3, 64, 64], generator: g);
            var ids = torch.randint(3, MiniConfigs.VocabSize, [batch, 16], generator: g);
            Tensor Forward()
            {
                using var v = vision.forward(px);
                var features = vision.vision_model.post_layernorm.forward(v.HiddenStates[^1]);
                if (arch.Encoder.VisionFeatureSelectStrategy == "default") features = features[.., 1..];
                var visual = bridge.forward(features);                                      // [B, N, D]
                var embeds = torch.cat([visual, llm.model.embed_tokens.forward(ids)], 1);   // [B, N + 16, D]
                using var o = llm.model.forward(inputsEmbeds: embeds);
                return llm.Logits(o.LastHiddenState);
            }
            Report($"mllm train step ({adapter}, {bridge.TokensPerImage(65 - (adapter == "mlp" ? 1 : 0))} visual + 16 text tokens)", batch, () =>
            {
                var logits = Forward();
                var loss = nn.functional.cross_entropy(logits[.., ^16..].reshape(-1, MiniConfigs.VocabSize), ids.reshape(-1));
                opt.zero_grad();
                loss.backward();
                opt.step();
            });
        }
        using (var unet = new UNet2DConditionModel(MiniConfigs.UNet))
        {
            using var opt = optim.AdamW(unet.parameters(), 1e-4, weight_decay: 0.01);
            var x = torch.randn([batch, 4, 16, 16], generator: g);
            var h = torch.randn([batch, 32, MiniConfigs.LlmWidth], generator: g);
            var t = torch.randint(0, 1000, [batch], generator: g);
            Report("unet train step (32 tokens)", batch, () =>
            {
                var loss = (unet.forward(x, t, h) - x).pow(2).mean();
                opt.zero_grad();
                loss.backward();
                opt.step();
            });
            unet.eval();
            using (torch.inference_mode())
                Report("unet forward (B=8: 4 images with guidance)", 8, () => unet.forward(x[..8], t[..8], h[..8]));
        }
    }

    private static void Report(string what, int samples, Action run)
    {
        var times = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            using var scope = torch.NewDisposeScope();
            var sw = Stopwatch.StartNew();
            run();
            if (i > 0) times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        var median = times[times.Count / 2];
        Console.WriteLine($"  {what,-60} {median * 1000,8:0} ms  {samples / median,7:0.0} samples/s");
    }
}
