using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using UnimoG.Cli;
using UnimoG.Services.Tests.Support;
using UnimoG.TestSupport;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Services.Tests;

/// <summary>`unimog serve --role dataprep` and `--role trainer`: the hosts their own Program.cs make, from the CLI.</summary>
public sealed class ServeRolesTests
{
    private static (int Code, string Error) Run(params string[] args)
    {
        var stderr = Console.Error;
        using var e = new StringWriter();
        Console.SetError(e);
        try
        {
            return (CliApp.RunAsync(args).GetAwaiter().GetResult(), e.ToString());
        }
        finally
        {
            Console.SetError(stderr);
        }
    }

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
    public void User_mistakes_are_one_line_and_exit_code_two()
    {
        var port = Cluster.FreePort();
        var (code, error) = Run("serve", "--role", "dataprep", "--urls", $"http://127.0.0.1:{port}", "--model", "/models/x");
        Assert.Equal(2, code);
        Assert.Contains("--model does not apply to --role dataprep; its settings are DataPrep:*", error);

        (code, error) = Run("serve", "--role", "dataprep", "--urls", $"http://127.0.0.1:{port}");
        Assert.Equal(2, code);
        Assert.Contains("DataPrep:Masks is not set: choose sam (with DataPrep:SamEncoder and DataPrep:SamDecoder), alpha or box.", error);

        (code, error) = Run("serve", "--role", "dataprep", "--urls", $"http://127.0.0.1:{port}", "--set", "DataPrep:Masks=alpha", "--set", "DataPrep:Threads=0");
        Assert.Equal(2, code);
        Assert.Contains("DataPrep:Threads must be at least 1, got 0.", error);

        (code, error) = Run("serve", "--role", "trainer", "--urls", $"http://127.0.0.1:{port}", "--encoder", "http://127.0.0.1:1");
        Assert.Equal(2, code);
        Assert.Contains("--encoder, --denoiser and --vae are the gateway's", error);

        (code, error) = Run("serve", "--role", "dataprep", "--urls", $"http://127.0.0.1:{port}", "--set", "Masks");
        Assert.Equal(2, code);
        Assert.Contains("--set takes KEY=VALUE", error);
    }

    private static Dictionary<string, string?> ServeCommandSettings(params string[] pairs) => ServeCommand.Settings(pairs);
}
