using UnimoG.Cli;
using UnimoG.Services.Tests.Support;
using UnimoG.TestSupport;

namespace UnimoG.Services.Tests;

/// <summary>`unimog generate` in one-process mode and against a gateway; `unimog models init-mini` / `fit-preview`.</summary>
[Collection("cluster")]
public sealed class CliTests(ClusterFixture fixture)
{
    private static (int Code, string Out, string Error) Run(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var o = new StringWriter();
        using var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            return (CliApp.RunAsync(args).GetAwaiter().GetResult(), o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    [Fact]
    public void The_READMEs_first_command_works_on_the_committed_model()
    {
        var dir = Directory.CreateTempSubdirectory("unimog-cli").FullName;
        var examples = Path.Combine(RepoPaths.Root, "models", "examples");
        var (code, output, error) = Run("generate", "<img1> wearing <img2> is eating pizza", "--image", Path.Combine(examples, "woman.png"), "--image", Path.Combine(examples, "top-hat.png"),
            "--steps", "4", "--seed", "42", "--out", Path.Combine(dir, "out.png"), "--previews", Path.Combine(dir, "previews"), "--preview-every", "2",
            "--model", Path.Combine(RepoPaths.Root, "models", "unimog-mini"));
        Assert.True(code == 0, error);
        Assert.Contains("seed 42", output);
        if (File.Exists(Path.Combine(RepoPaths.Root, "models", "unimog-mini", "UNTRAINED")))
            Assert.Contains("UNTRAINED", error);
        else
            Assert.DoesNotContain("UNTRAINED", error);   // the trained model: no warning
        Assert.Equal(64 * 64 * 4, TestModel.Pixels(File.ReadAllBytes(Path.Combine(dir, "out.png"))).Length);
        Assert.Equal(["step-002-0.png", "step-004-0.png"], Directory.GetFiles(Path.Combine(dir, "previews")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void One_process_and_server_give_identical_bytes()
    {
        var dir = Directory.CreateTempSubdirectory("unimog-cli").FullName;
        var image = Path.Combine(dir, "red.png");
        File.WriteAllBytes(image, TestModel.Png(20, 20, 220, 10, 10));
        string[] common = ["generate", "a photo of <img1>", "--image", image, "--steps", "3", "--seed", "9", "--num-images", "2"];
        var local = Run([.. common, "--out", Path.Combine(dir, "local.png"), "--model", TestModel.Folder, "--tokenizer", TestModel.Tokenizer]);
        Assert.True(local.Code == 0, local.Error);
        var remote = Run([.. common, "--out", Path.Combine(dir, "remote.png"), "--server", fixture.Cluster.GatewayAddress]);
        Assert.True(remote.Code == 0, remote.Error);
        Assert.Contains("UNTRAINED", remote.Error);
        for (var i = 0; i < 2; i++)
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, $"local-{i}.png")), File.ReadAllBytes(Path.Combine(dir, $"remote-{i}.png")));
    }

    [Fact]
    public void User_mistakes_are_one_line_with_exit_code_2()
    {
        var bad = Run("generate", "<img1> and <img2>", "--image", Path.Combine(RepoPaths.Root, "models", "examples", "dog.png"), "--server", fixture.Cluster.GatewayAddress);
        Assert.Equal(2, bad.Code);
        Assert.Equal("unimog: prompt.text: (offset 11) <img2> refers to image 2, but only 1 were given", bad.Error.Trim());
        var width = Run("generate", "x", "--width", "12", "--server", fixture.Cluster.GatewayAddress);
        Assert.Equal(2, width.Code);
        Assert.StartsWith("unimog: width: must be a multiple of 8", width.Error.Trim());
        var missing = Run("generate", "x", "--model", "/no/such/model");
        Assert.Equal(2, missing.Code);
        Assert.Contains("model folder not found: /no/such/model", missing.Error);
        var server = Run("generate", "x", "--server", "ftp://x");
        Assert.Equal(2, server.Code);
        Assert.Contains("--server must be an http:// or https:// URL", server.Error);
    }

    [Fact]
    public void Init_mini_and_fit_preview()
    {
        var dir = Path.Combine(Directory.CreateTempSubdirectory("unimog-cli").FullName, "m");
        var init = Run("models", "init-mini", "--out", dir, "--seed", "3");
        Assert.True(init.Code == 0, init.Error);
        Assert.Contains("UNTRAINED", init.Error);
        Assert.True(File.Exists(Path.Combine(dir, "UNTRAINED")));
        var again = Run("models", "init-mini", "--out", dir);
        Assert.Equal(2, again.Code);
        Assert.Contains("is not empty", again.Error);

        var images = Directory.CreateTempSubdirectory("unimog-fit").FullName;
        var examples = Directory.GetFiles(Path.Combine(RepoPaths.Root, "models", "examples"), "*.png");
        foreach (var file in examples) File.Copy(file, Path.Combine(images, Path.GetFileName(file)));
        var fit = Run("models", "fit-preview", "--model", dir, "--images", images);
        Assert.True(fit.Code == 0, fit.Error);
        Assert.Contains($"over {examples.Length} images", fit.Output());
        Assert.Contains("from " + images, File.ReadAllText(Path.Combine(dir, "preview.json")));
    }
}

internal static class RunResultExtensions
{
    public static string Output(this (int Code, string Out, string Error) r) => r.Out;
}
