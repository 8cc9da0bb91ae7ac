using System.CommandLine;
using UnimoG.Mini.Data;
using UnimoG.Mini.Vae;

namespace UnimoG.Cli;

/// <summary><c>unimog mini train-vae</c>: the 64x64 <-> 16x16x4 AutoencoderKL on EmojiWorld train scenes.</summary>
internal static class MiniTrainVaeCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "EmojiWorld train-split shard folder (emojiworld compose --split train).", Required = true };
        var eval = new Option<string>("--eval") { Description = "Held-out (bench-split) shard folder for the PSNR report.", Required = true };
        var output = MiniCommand.OutOption("vae/, preview.json, metrics.json, NOTICE");
        var d = new VaeTrainOptions();
        var steps = new Option<long>("--steps") { Description = "Training steps.", DefaultValueFactory = _ => d.Steps };
        var batch = new Option<int>("--batch") { Description = "Scenes per step.", DefaultValueFactory = _ => d.Batch };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (warm-up, then cosine).", DefaultValueFactory = _ => d.LearningRate };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW weight decay on kernels.", DefaultValueFactory = _ => d.WeightDecay };
        var kl = new Option<double>("--kl-weight") { Description = "Weight of the KL term (per latent element).", DefaultValueFactory = _ => d.KlWeight };
        var edge = new Option<double>("--gradient-weight") { Description = "Weight of the image-gradient L1 term.", DefaultValueFactory = _ => d.GradientWeight };
        var scenes = new Option<int>("--max-scenes") { Description = "Train scenes loaded (the first N).", DefaultValueFactory = _ => d.MaxScenes };
        var crop = new Option<int>("--crop") { Description = "Crop size of the early steps (64 = whole scenes throughout).", DefaultValueFactory = _ => d.CropSize };
        var fullShare = new Option<double>("--full-share") { Description = "Share of the steps (the last) on whole 64x64 scenes.", DefaultValueFactory = _ => d.FullSizeShare };
        var seed = MiniCommand.SeedOption();
        var threads = MiniCommand.ThreadsOption();
        var every = MiniCommand.CheckpointMinutesOption();
        var logEvery = MiniCommand.LogEveryOption();
        var command = new Command("train-vae", "Train the mini VAE (resumable); writes a diffusers vae/ folder, preview.json and PSNR on held-out scenes.")
        {
            data, eval, output, steps, batch, lr, wd, kl, edge, scenes, crop, fullShare, seed, threads, every, logEvery,
        };
        command.SetAction((parse, cancel) =>
        {
            MiniCommand.SetThreads(parse.GetValue(threads));
            var loop = MiniCommand.Loop(parse.GetValue(steps), parse.GetValue(every), parse.GetValue(logEvery));
            var options = d with
            {
                Steps = loop.Steps, Batch = parse.GetValue(batch), LearningRate = parse.GetValue(lr), WeightDecay = parse.GetValue(wd),
                KlWeight = parse.GetValue(kl), GradientWeight = parse.GetValue(edge), Seed = parse.GetValue(seed), MaxScenes = parse.GetValue(scenes),
                CropSize = parse.GetValue(crop), FullSizeShare = parse.GetValue(fullShare),
            };
            if (options.Batch < 1) throw new UsageException("--batch must be at least 1");
            if (options.CropSize is < 16 or > 64 || options.CropSize % 4 != 0) throw new UsageException("--crop must be a multiple of 4 from 16 to 64");
            if (options.FullSizeShare is < 0 or > 1) throw new UsageException("--full-share must be between 0 and 1");
            var outDir = parse.GetValue(output)!;
            var log = MiniCommand.Logger(outDir);
            var train = SceneSet.Load(parse.GetValue(data)!, DataUse.Generator, options.MaxScenes);
            var bench = SceneSet.Load(parse.GetValue(eval)!, DataUse.Evaluation, 512);
            var report = VaeTrainer.Train(train, bench, outDir, options, loop, log, cancel);
            UnimoG.Mini.ModelNotice.WriteTo(outDir, "UNIMO-G mini: the VAE (AutoencoderKL, 64x64x3 <-> 16x16x4) and its latent preview factors.");
            UnimoG.Mini.ModelNotice.WriteTo(Path.Combine(outDir, "vae"), "UNIMO-G mini: the VAE (AutoencoderKL, 64x64x3 <-> 16x16x4).");
            Console.WriteLine($"vae: PSNR {report.PsnrBench:0.00} dB on held-out scenes (F16 weights {report.PsnrBenchF16:0.00}), scaling_factor {report.ScalingFactor:0.#####}, "
                              + $"{report.Steps} steps in {report.TrainSeconds / 60:0.0} min -> {Path.Combine(outDir, "vae")}");
            return Task.FromResult(0);
        });
        return command;
    }
}
