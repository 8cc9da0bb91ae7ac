using System.Collections.Concurrent;
using Grpc.Core;
using UnimoG.Cli;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Data.Sampling;
using UnimoG.Engines.InProcess;
using UnimoG.Services.Tests.Support;
using UnimoG.TestSupport;

namespace UnimoG.Services.Tests;

/// <summary>
/// The samplers as a caller meets them: named per request, listed by Describe, the same PNG bytes in one process and
/// served (stochastic ones too: their noise comes from the request's seed), requests of different samplers sharing U-Net
/// batches, and the mistakes refused naming the field.
/// </summary>
[Collection("cluster")]
public sealed class SamplerServingTests(ClusterFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private Cluster Cluster => fixture.Cluster;

    private static CliResult Run(params string[] args) => CliRunner.Run(CliApp.RunAsync, args);

    [Theory]
    [InlineData("dpmpp_2m_karras", 20)]
    [InlineData("euler_a", 6)]
    [InlineData("dpmpp_2m_sde_karras", 5)]
    [InlineData("unipc", 5)]
    public void Generate_with_a_sampler_gives_identical_bytes_in_one_process_and_served(string sampler, int steps)
    {
        var dir = Directory.CreateTempSubdirectory("unimog-sampler").FullName;
        var image = Path.Combine(dir, "red.png");
        File.WriteAllBytes(image, TestModel.Png(20, 20, 220, 10, 10));
        string[] common = ["generate", "a photo of <img1>", "--image", image, "--sampler", sampler, "--steps", $"{steps}", "--seed", "11"];
        var local = Run([.. common, "--out", Path.Combine(dir, "local.png"), "--model", TestModel.Folder, "--tokenizer", TestModel.Tokenizer]);
        Assert.True(local.ExitCode == 0, local.Error);
        var remote = Run([.. common, "--out", Path.Combine(dir, "remote.png"), "--server", fixture.Cluster.GatewayAddress]);
        Assert.True(remote.ExitCode == 0, remote.Error);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "local.png")), File.ReadAllBytes(Path.Combine(dir, "remote.png")));
        var ddim = Run(["generate", "a photo of <img1>", "--image", image, "--sampler", "ddim", "--steps", $"{steps}", "--seed", "11", "--out", Path.Combine(dir, "ddim.png"), "--server", fixture.Cluster.GatewayAddress]);
        Assert.True(ddim.ExitCode == 0, ddim.Error);
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(dir, "ddim.png")), File.ReadAllBytes(Path.Combine(dir, "remote.png")));   // the sampler was used
    }

    [Fact]
    public async Task Describe_lists_every_sampler_and_the_defaults()
    {
        var info = await Cluster.Client().DescribeAsync();
        Assert.Equal(SamplerPresets.Names, info.Samplers.Select(s => s.Name));
        Assert.Contains(info.Samplers, s => s is { Name: "dpmpp_2m_karras", KarrasSigmas: true, Stochastic: false, DiffusersClass: "DPMSolverMultistepScheduler" });
        Assert.Contains(info.Samplers, s => s is { Name: "euler_a", Stochastic: true });
        Assert.Equal(SamplerPresets.Default, info.DefaultSampler);
        Assert.True(info.DefaultSteps > 0);
        var accepted = (await Cluster.Client().GenerateImagesAsync(GenerationTests.Request(steps: 2))).Accepted;
        Assert.Equal(info.DefaultSampler, accepted.Sampler);   // a request naming none gets the default, and is told so
    }

    [Theory]
    [InlineData("dpmpp_9m", 0f, "sampler: 'dpmpp_9m' is not served; use one of ddim, euler")]
    [InlineData("euler_a", 0.5f, "eta: only the ddim sampler takes eta; euler_a got 0.5")]
    public async Task Mistakes_are_invalid_argument_naming_the_field(string sampler, float eta, string message)
    {
        var request = GenerationTests.Request(steps: 2);
        request.Sampler = sampler;
        request.Eta = eta;
        var e = await Assert.ThrowsAnyAsync<UnimoGException>(() => Cluster.Client().GenerateImagesAsync(request));
        Assert.Equal(StatusCode.InvalidArgument, e.Status);
        Assert.Contains(message, e.Message);   // the status, then the gateway's message starting with the field
    }

    [Fact]
    public async Task Requests_of_different_samplers_share_batches_and_get_what_they_get_alone()
    {
        GenerateRequest Make(string sampler, int steps, ulong seed)
        {
            var r = GenerationTests.Request(steps: steps, seed: seed);
            r.Sampler = sampler;
            return r;
        }
        GenerateRequest[] requests = [Make("dpmpp_2m_karras", 8, 1), Make("euler_a", 6, 2), Make("unipc", 7, 3), Make("ddim", 8, 4)];
        var alone = new List<byte[]>();
        foreach (var r in requests) alone.Add((await Cluster.Client().GenerateImagesAsync(r)).Images[0]);

        var batchSizes = new ConcurrentBag<int>();
        void Sizes(string id, int step, int batch) => batchSizes.Add(batch);
        Cluster.Batcher.Stepped += Sizes;
        try
        {
            var together = await Task.WhenAll(requests.Select(r => Cluster.Client().GenerateImagesAsync(r)));
            Assert.Contains(batchSizes, n => n >= 2);   // different samplers really shared U-Net calls
            for (var i = 0; i < requests.Length; i++)
            {
                // The scheduler arithmetic is per row (bit for bit); the U-Net's GEMMs block differently for other batch
                // sizes, so batched pixels may differ from alone by a level (as for DDIM in GenerationTests).
                var worst = TensorAssert.Close(Array.ConvertAll(TestModel.Pixels(alone[i]), x => (double)x),
                    Array.ConvertAll(TestModel.Pixels(together[i].Images[0]), x => (double)x), rtol: 0, atol: 1, what: $"{requests[i].Sampler} batched vs alone (levels)");
                output.WriteLine($"{requests[i].Sampler}: batched vs alone, largest pixel difference {worst} levels; batch sizes {string.Join(",", batchSizes.Distinct().Order())}");
            }
        }
        finally
        {
            Cluster.Batcher.Stepped -= Sizes;
        }
    }

    [Fact]
    public async Task One_process_pipeline_runs_every_sampler()
    {
        using var local = OneProcess.Load(TestModel.Folder, TestModel.Options);
        foreach (var name in SamplerPresets.Names)
        {
            var request = GenerationTests.Request(steps: 3, seed: 5);
            request.Sampler = name;
            var images = 0;
            await foreach (var e in local.Pipeline.GenerateAsync(request, name))
                if (e.EventCase == GenerateEvent.EventOneofCase.Image) images++;
            Assert.True(images == 1, $"{name}: {images} images");
        }
    }
}
