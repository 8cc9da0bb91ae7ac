using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Cli;
using UnimoG.Contracts.V1;
using UnimoG.Hosting;
using UnimoG.Trainer.Tests.Support;

namespace UnimoG.Trainer.Tests;

/// <summary>The Trainer gRPC service hosted as its Program hosts it, on loopback; and the <c>unimog train</c> verbs.</summary>
[Collection("torch threads")]
public class ServiceAndCliTests
{
    private static readonly TinyWorld World = TinyWorld.Instance;

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task<(WebApplication App, GrpcChannel Channel)> StartService(string? configPath = null)
    {
        int grpc = FreePort(), metrics = FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hosting:GrpcPort"] = grpc.ToString(), ["Hosting:MetricsPort"] = metrics.ToString(), ["Hosting:ListenAddress"] = "127.0.0.1",
            ["Log:MinimumLevel"] = "Warning",
            ["Trainer:ConfigPath"] = configPath,
        });
        builder.AddUnimoGDefaults("trainer");
        builder.AddTrainer();
        var app = builder.Build();
        app.MapUnimoGDefaults();
        app.MapTrainer();
        await app.StartAsync();
        return (app, GrpcChannel.ForAddress($"http://127.0.0.1:{grpc}"));
    }

    [Fact]
    public async Task The_service_starts_watches_stops_and_lists_runs()
    {
        var (app, channel) = await StartService();
        try
        {
            var client = new UnimoG.Contracts.V1.Trainer.TrainerClient(channel);

            // a bad configuration names its key
            var bad = JsonNode.Parse(World.Config(TinyWorld.TempDir("svc-bad")))!.AsObject();
            bad["optimizer"] = new JsonObject { ["beta1"] = 2 };
            var e = await Assert.ThrowsAsync<RpcException>(async () => await client.StartRunAsync(new StartRunRequest { ConfigJson = bad.ToJsonString() }));
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Contains("optimizer.beta1", e.Status.Detail);
            Assert.Equal("optimizer.beta1", e.Trailers.GetValue("field"));

            // a run to completion, watched
            var dir = TinyWorld.TempDir("svc");
            var info = await client.StartRunAsync(new StartRunRequest { ConfigJson = World.Config(dir, steps: 3, extra: new JsonObject { ["checkpoints"] = new JsonObject { ["every"] = 2 } }) });
            Assert.Equal(dir, info.OutputDir);
            var metrics = new List<TrainingMetrics>();
            using (var watch = client.WatchRun(new WatchRunRequest { RunId = info.RunId }))
                await foreach (var m in watch.ResponseStream.ReadAllAsync()) metrics.Add(m);
            Assert.Equal([1L, 2L, 3L], metrics.Where(m => m.State == "running").Select(m => m.Step));
            Assert.Equal("completed", metrics[^1].State);
            Assert.All(metrics.Where(m => m.State == "running"), m => Assert.True(m.Loss > 0 && m.LearningRate > 0 && m.SamplesPerSecond > 0));
            Assert.EndsWith("step-00000002", metrics.Single(m => m.Step == 2 && m.State == "running").Checkpoint);
            var list = await client.ListCheckpointsAsync(new ListCheckpointsRequest { RunId = info.RunId });
            Assert.Equal([3L, 2L], list.Checkpoints.Select(c => c.Step));
            Assert.All(list.Checkpoints, c => Assert.True(c.Valid));

            // a long run stopped with a checkpoint; a second start meanwhile is refused
            var dir2 = TinyWorld.TempDir("svc-stop");
            var long1 = await client.StartRunAsync(new StartRunRequest { ConfigJson = World.Config(dir2, steps: 100000) });
            using (var watch = client.WatchRun(new WatchRunRequest { RunId = long1.RunId }))
                await foreach (var m in watch.ResponseStream.ReadAllAsync())
                    if (m.State == "running" && m.Step >= 2) break;
            var busy = await Assert.ThrowsAsync<RpcException>(async () => await client.StartRunAsync(new StartRunRequest { ConfigJson = World.Config(TinyWorld.TempDir("svc-busy")) }));
            Assert.Equal(StatusCode.FailedPrecondition, busy.StatusCode);
            var stopped = await client.StopRunAsync(new StopRunRequest { RunId = long1.RunId, Checkpoint = true });
            Assert.Equal("stopped", stopped.State);
            var listed = await client.ListCheckpointsAsync(new ListCheckpointsRequest { OutputDir = dir2 });
            Assert.True(Assert.Single(listed.Checkpoints).Step >= 2);
            var missing = await Assert.ThrowsAsync<RpcException>(async () => await client.StopRunAsync(new StopRunRequest { RunId = "nope" }));
            Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        }
        finally
        {
            channel.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task With_a_configured_run_the_service_trains_it_and_stops()
    {
        var dir = TinyWorld.TempDir("svc-job");
        var file = Path.Combine(dir, "train.json");
        File.WriteAllText(file, World.Config(Path.Combine(dir, "run"), steps: 2));
        var (app, channel) = await StartService(file);
        try
        {
            var stopped = new TaskCompletionSource();
            app.Lifetime.ApplicationStopping.Register(() => stopped.TrySetResult());
            await stopped.Task.WaitAsync(TimeSpan.FromMinutes(3));
            Assert.True(File.Exists(Path.Combine(dir, "run", "unet", "diffusion_pytorch_model.safetensors")));
            Assert.Equal(0, Environment.ExitCode);
        }
        finally
        {
            channel.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    internal static (int Code, string Out, string Err) RunCli(params string[] args) => Cli(args);

    private static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var (o, e) = (Console.Out, Console.Error);
        using var sw = new StringWriter();
        using var ew = new StringWriter();
        Console.SetOut(sw);
        Console.SetError(ew);
        try { return (CliApp.RunAsync(args).GetAwaiter().GetResult(), sw.ToString(), ew.ToString()); }
        finally { Console.SetOut(o); Console.SetError(e); }
    }

    [Fact]
    public void Unimog_train_runs_resumes_and_reports_bad_keys()
    {
        var dir = TinyWorld.TempDir("cli");
        var file = Path.Combine(dir, "config.json");
        // Regression: a // comment (as in docs/examples) once crashed train at its checkpoint (the hash re-read the text).
        File.WriteAllText(file, "// a run of the tiny world\n" + World.Config(Path.Combine(dir, "run"), steps: 2));
        var (code, output, err) = Cli("train", "--config", file);
        Assert.True(code == 0, err);
        Assert.Contains("completed 2 steps", output);
        Assert.Contains("step 2/2", output);

        File.WriteAllText(file, World.Config(Path.Combine(dir, "run"), steps: 4));
        (code, output, err) = Cli("train", "--config", file);
        Assert.True(code == 0, err);
        Assert.Contains("Resumed from", output);
        Assert.Contains("completed 4 steps", output);
        Assert.DoesNotContain("step 1/4", output);

        var bad = JsonNode.Parse(World.Config(Path.Combine(dir, "run")))!.AsObject();
        bad["ema"] = new JsonObject { ["decay"] = "high" };
        File.WriteAllText(file, bad.ToJsonString());
        (code, _, err) = Cli("train", "--config", file);
        Assert.Equal(2, code);
        Assert.Equal($"unimog: {file}: ema.decay: expected a number, got \"high\"", err.Trim());
    }

    [Fact]
    public void Unimog_encode_dataset_writes_the_caches_a_config_trains_from()
    {
        var dir = TinyWorld.TempDir("cli-cache");
        var json = JsonNode.Parse(World.Config(Path.Combine(dir, "run"), steps: 2))!.AsObject();
        json["conditions"] = new JsonObject { ["source"] = "cache", ["cache"] = Path.Combine(dir, "conditions"), ["encoder"] = World.Mllm };
        json["latent_cache"] = Path.Combine(dir, "latents");
        var file = Path.Combine(dir, "config.json");
        // Regression: with a // comment encode-dataset aborted with an unhandled JsonReaderException (the hash re-read the text).
        File.WriteAllText(file, "// caches for the tiny world\n" + json.ToJsonString(new() { WriteIndented = true }).Replace("\"seed\"", "/* fixed */ \"seed\""));
        var (code, output, err) = Cli("encode-dataset", "--config", file, "--batch", "5");
        Assert.True(code == 0, err);
        Assert.Contains("wrote 13 condition entries", output);   // 12 captions + the empty prompt
        Assert.Contains("and 12 latents", output);
        (code, output, err) = Cli("train", "--config", file);
        Assert.True(code == 0, err);
        Assert.Contains("condition cache", output);
        Assert.Contains("latent cache", output);
    }
}

/// <summary>Stage 2 reads what the real data preparation writes (<c>unimog prep</c>), not only our own test shards.</summary>
[Collection("torch threads")]
public class DataPrepCompatibilityTests
{
    [Fact]
    public void Shards_from_unimog_prep_train_stage_two()
    {
        var dir = TinyWorld.TempDir("prep");
        var input = Path.Combine(dir, "in");
        Directory.CreateDirectory(input);
        // two squares per 16x16 scene, their boxes in the metadata (no models needed with --masks box)
        using (var fs = File.Create(Path.Combine(input, "part-000.tar")))
        using (var tar = new System.Formats.Tar.TarWriter(fs, System.Formats.Tar.TarEntryFormat.Ustar))
        {
            void Add(string name, byte[] data) =>
                tar.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
            for (var i = 0; i < 6; i++)
            {
                using var img = TorchSharp.torch.zeros(3, 16, 16);
                img[0, 2..8, 1..7] = 1;                  // red square at x 1..7, y 2..8
                img[2, (8 + i % 2)..14, 9..15] = 1;      // blue square
                Add($"k{i}.png", UnimoG.Modeling.Images.Png.Encode(img));
                var caption = "a red square and a blue square";
                Add($"k{i}.txt", System.Text.Encoding.UTF8.GetBytes(caption));
                Add($"k{i}.json", System.Text.Encoding.UTF8.GetBytes(new JsonObject
                {
                    ["entities"] = new JsonArray(
                        new JsonObject { ["phrase"] = "red square", ["start"] = 2, ["end"] = 12, ["box"] = new JsonArray(1, 2, 7, 8) },
                        new JsonObject { ["phrase"] = "blue square", ["start"] = 19, ["end"] = 30, ["box"] = new JsonArray(9, 8 + i % 2, 15, 14) }),
                }.ToJsonString()));
            }
        }
        var prepared = Path.Combine(dir, "prepared");
        var (code, _, err) = ServiceAndCliTests.RunCli("prep", "--input", input, "--output", prepared, "--entities", "metadata", "--masks", "box",
            "--replace-rate", "1", "--text-only-share", "0");
        Assert.True(code == 0, err);

        var examples = UnimoG.Engines.Trainer.Data.Datasets.Load(new UnimoG.Engines.Trainer.Config.DataSettings { Kind = "prepared", Path = prepared });
        Assert.Equal(6, examples.Count);
        Assert.Equal("a <img1> and a <img2>", examples[0].Describe(false));
        var red = examples[0].Images[0].Mask.Decode();
        Assert.Equal(36f, red.Sum());
        Assert.Equal(1f, red[2 * 16 + 1]);                       // (x 1, y 2) inside the red box
        Assert.Equal(0f, red[2 * 16 + 7]);                       // x 7 is the exclusive end

        var json = JsonNode.Parse(TinyWorld.Instance.Config(Path.Combine(dir, "run"), stage: 2, steps: 2))!.AsObject();
        json["phases"]![0]!["data"]!["path"] = prepared;
        var (trainer, _) = TinyWorld.Trainer(json.ToJsonString());
        var attn = new List<double>();
        using (trainer)
        using (trainer.Progress.Subscribe(new ProgressObserver(p => { if (p.AttnLoss is { } a) attn.Add(a); })))
            Assert.Equal(UnimoG.Engines.Trainer.Training.RunState.Completed, trainer.Run(resume: false).State);
        Assert.Equal(2, attn.Count);
    }

    private sealed class ProgressObserver(Action<UnimoG.Engines.Trainer.Training.TrainingProgress> next) : IObserver<UnimoG.Engines.Trainer.Training.TrainingProgress>
    {
        public void OnCompleted() { }
        public void OnError(Exception error) { }
        public void OnNext(UnimoG.Engines.Trainer.Training.TrainingProgress value) => next(value);
    }
}
