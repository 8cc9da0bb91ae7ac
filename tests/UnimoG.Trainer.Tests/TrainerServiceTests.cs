using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using UnimoG.Contracts.V1;
using UnimoG.Hosting;
using UnimoG.TestSupport;
using UnimoG.Trainer;

namespace UnimoG.Trainer.Tests;

/// <summary>The Trainer gRPC service hosted as its Program hosts it, on loopback.</summary>
[Collection("torch threads")]
public class TrainerServiceTests
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
}
