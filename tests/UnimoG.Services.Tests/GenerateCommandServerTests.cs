using UnimoG.Cli;
using UnimoG.Services.Tests.Support;
using UnimoG.TestSupport;

namespace UnimoG.Services.Tests;

/// <summary>
/// <c>unimog generate --server</c> against the loopback cluster: the same PNG bytes as one process, and the gateway's
/// answers to mistakes as one line with exit code 2. Here rather than in UnimoG.Cli.Tests because it needs the
/// cluster fixture (four hosts on loopback); the one-process command is tested there (GenerateCommandTests).
/// </summary>
[Collection("cluster")]
public sealed class GenerateCommandServerTests(ClusterFixture fixture)
{
    private static CliResult Run(params string[] args) => CliRunner.Run(CliApp.RunAsync, args);

    [Fact]
    public void One_process_and_server_give_identical_bytes()
    {
        var dir = Directory.CreateTempSubdirectory("unimog-cli").FullName;
        var image = Path.Combine(dir, "red.png");
        File.WriteAllBytes(image, TestModel.Png(20, 20, 220, 10, 10));
        string[] common = ["generate", "a photo of <img1>", "--image", image, "--steps", "3", "--seed", "9", "--num-images", "2"];
        var local = Run([.. common, "--out", Path.Combine(dir, "local.png"), "--model", TestModel.Folder, "--tokenizer", TestModel.Tokenizer]);
        Assert.True(local.ExitCode == 0, local.Error);
        var remote = Run([.. common, "--out", Path.Combine(dir, "remote.png"), "--server", fixture.Cluster.GatewayAddress]);
        Assert.True(remote.ExitCode == 0, remote.Error);
        Assert.Contains("UNTRAINED", remote.Error);
        for (var i = 0; i < 2; i++)
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, $"local-{i}.png")), File.ReadAllBytes(Path.Combine(dir, $"remote-{i}.png")));
    }

    [Fact]
    public void The_gateways_answers_to_mistakes_are_one_line_with_exit_code_2()
    {
        var bad = Run("generate", "<img1> and <img2>", "--image", Path.Combine(RepoPaths.Root, "models", "examples", "dog.png"), "--server", fixture.Cluster.GatewayAddress);
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("unimog: prompt.text: (offset 11) <img2> refers to image 2, but only 1 were given", bad.Error.Trim());
        var width = Run("generate", "x", "--width", "12", "--server", fixture.Cluster.GatewayAddress);
        Assert.Equal(2, width.ExitCode);
        Assert.StartsWith("unimog: width: must be a multiple of 8", width.Error.Trim());
    }
}
