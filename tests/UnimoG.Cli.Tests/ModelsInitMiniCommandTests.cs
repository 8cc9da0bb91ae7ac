using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary>
/// <c>unimog models init-mini</c> writes the untrained placeholder (and refuses a folder that is not empty);
/// <c>models fit-preview</c> then fits its latent preview factors over a folder of images.
/// </summary>
public class ModelsInitMiniCommandTests
{
    [Fact]
    public void Init_mini_and_fit_preview()
    {
        var dir = Path.Combine(Directory.CreateTempSubdirectory("unimog-cli").FullName, "m");
        var init = Unimog.Run("models", "init-mini", "--out", dir, "--seed", "3");
        Assert.True(init.ExitCode == 0, init.Error);
        Assert.Contains("UNTRAINED", init.Error);
        Assert.True(File.Exists(Path.Combine(dir, "UNTRAINED")));
        var again = Unimog.Run("models", "init-mini", "--out", dir);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("is not empty", again.Error);

        var images = Directory.CreateTempSubdirectory("unimog-fit").FullName;
        var examples = Directory.GetFiles(Path.Combine(RepoPaths.Root, "models", "examples"), "*.png");
        foreach (var file in examples) File.Copy(file, Path.Combine(images, Path.GetFileName(file)));
        var fit = Unimog.Run("models", "fit-preview", "--model", dir, "--images", images);
        Assert.True(fit.ExitCode == 0, fit.Error);
        Assert.Contains($"over {examples.Length} images", fit.Out);
        Assert.Contains("from " + images, File.ReadAllText(Path.Combine(dir, "preview.json")));
    }
}
