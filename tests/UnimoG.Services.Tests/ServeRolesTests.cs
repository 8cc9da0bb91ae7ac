using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using UnimoG.Cli;
using UnimoG.Client;
using UnimoG.Services.Tests.Support;
using UnimoG.TestSupport;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Services.Tests;

/// <summary>
/// `serve --role all`, `--role dataprep` and `--role trainer`: the hosts their own Program.cs make, built by the CLI's
/// ServeCommand (the command line's own mistakes: UnimoG.Cli.Tests, ServeCommandTests). `all` is compared with the
/// loopback cluster of four separate hosts.
/// </summary>
[Collection("cluster")]
public sealed class ServeRolesTests(ClusterFixture fixture)
{
    private Cluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Role_data_prep_serves_the_pipeline_with_settings_from_set()
    {
        var url = $"http://127.0.0.1:{Cluster.FreePort()}";
        var settings = ServeCommandSettings("DataPrep:Masks=box", "DataPrep__ReplaceRate=1", "DataPrep:TextOnlyShare=0", "Log:MinimumLevel=Warning");
        await using var app = ServeCommand.Build("dataprep", url, Cluster.FreePort(), null, null, null, null, settings);
        await app.StartAsync();
        using var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 });
        await GenerationTests.WaitUntil(() => new Health.HealthClient(channel).Check(new HealthCheckRequest()).Status == HealthCheckResponse.Types.ServingStatus.Serving);

        using var call = new V1.DataPrep.DataPrepClient(channel).Prepare();
        var dog = File.ReadAllBytes(Path.Combine(RepoPaths.Shared, "benchmarks", "multibench", "living", "dog.jpg"));
        await call.RequestStream.WriteAsync(new V1.RawSample
        {
            Key = "dog", Image = ByteString.CopyFrom(dog), Caption = "a dog on the grass",
            MetadataJson = """{"entities": [{"phrase": "dog", "box": [20, 30, 120, 150]}]}""",
        });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var sample = call.ResponseStream.Current;
        Assert.Equal("", sample.Error);
        var entity = Assert.Single(sample.Entities);
        Assert.Equal([20f, 30f, 120f, 150f], entity.Box);
        var segment = UnimoG.Imaging.ImageDecoder.Decode(entity.SegmentPng.ToByteArray());
        Assert.Equal((100, 120), (segment.Width, segment.Height)); // box mode: the whole box is the mask
        Assert.Equal(["a ", "", " on the grass"], sample.Prompt.Parts.Select(p => p.Text));
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        await app.StopAsync();
    }

    [Fact]
    public async Task Role_trainer_serves_the_trainer_service()
    {
        var url = $"http://127.0.0.1:{Cluster.FreePort()}";
        await using var app = ServeCommand.Build("trainer", url, Cluster.FreePort(), null, null, null, null,
            new Dictionary<string, string?> { ["Log:MinimumLevel"] = "Warning" });
        await app.StartAsync();
        using var channel = GrpcChannel.ForAddress(url);
        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        // No run: the Trainer service answers for itself (not Unimplemented, which an unmapped service would give).
        var e = await Assert.ThrowsAsync<RpcException>(() => new V1.Trainer.TrainerClient(channel).StopRunAsync(new V1.StopRunRequest { RunId = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        await app.StopAsync();
    }

    [Fact]
    public async Task Role_all_serves_everything_in_one_host()
    {
        var url = $"http://127.0.0.1:{Cluster.FreePort()}";
        await using var app = ServeCommand.Build("all", url, Cluster.FreePort(), TestModel.Folder, null, null, null,
            new Dictionary<string, string?> { ["Model:TokenizerPath"] = TestModel.Tokenizer, ["Log:MinimumLevel"] = "Warning", ["Studio:Url"] = "http://127.0.0.1:0" });
        await app.StartAsync();
        using var channel = GrpcChannel.ForAddress(url);
        var client = new UnimoGClient(new V1.Gateway.GatewayClient(channel));
        await GenerationTests.WaitUntil(() => new Health.HealthClient(channel).Check(new HealthCheckRequest()).Status == HealthCheckResponse.Types.ServingStatus.Serving);
        var request = GenerationTests.Request(steps: 3, seed: 77);
        var all = await client.GenerateImagesAsync(request);
        var separate = await Cluster.Client().GenerateImagesAsync(request);
        Assert.Equal(separate.Images[0], all.Images[0]);
        await app.StopAsync();
    }

    private static Dictionary<string, string?> ServeCommandSettings(params string[] pairs) => ServeCommand.Settings(pairs);
}
