using UnimoG.Imaging;
using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary>
/// <c>unimog generate</c> in one process: the README's first command on the committed model, and the mistakes caught
/// before any model or server is reached (the served mode: UnimoG.Services.Tests, GenerateCommandServerTests).
/// </summary>
public class GenerateCommandTests
{
    [Fact]
    public void The_READMEs_first_command_works_on_the_committed_model()
    {
        var dir = Directory.CreateTempSubdirectory("unimog-cli").FullName;
        var examples = Path.Combine(RepoPaths.Root, "models", "examples");
        var (code, output, error) = Unimog.Run("generate", "<img1> wearing <img2> is eating pizza", "--image", Path.Combine(examples, "woman.png"), "--image", Path.Combine(examples, "top-hat.png"),
            "--steps", "4", "--seed", "42", "--out", Path.Combine(dir, "out.png"), "--previews", Path.Combine(dir, "previews"), "--preview-every", "2",
            "--model", Path.Combine(RepoPaths.Root, "models", "unimog-mini"));
        Assert.True(code == 0, error);
        Assert.Contains("seed 42", output);
        Assert.DoesNotContain("UNTRAINED", error);   // the committed model is the trained one: no warning
        var image = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(dir, "out.png")));
        Assert.Equal(64 * 64 * 4, image.Rgba.Length);
        Assert.Equal(["step-002-0.png", "step-004-0.png"], Directory.GetFiles(Path.Combine(dir, "previews")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void User_mistakes_are_one_line_with_exit_code_2()
    {
        var missing = Unimog.Run("generate", "x", "--model", "/no/such/model");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("model folder not found: /no/such/model", missing.Error);
        var server = Unimog.Run("generate", "x", "--server", "ftp://x");
        Assert.Equal(2, server.ExitCode);
        Assert.Contains("--server must be an http:// or https:// URL", server.Error);
    }
}
