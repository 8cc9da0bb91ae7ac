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
    public void A_size_well_beyond_the_trained_one_is_warned_about_and_one_far_beyond_refused()
    {
        var dir = Directory.CreateTempSubdirectory("unimog-cli").FullName;
        var model = Path.Combine(RepoPaths.Root, "models", "unimog-mini");
        var (code, _, error) = Unimog.Run("generate", "a red dot", "--width", "192", "--height", "192", "--steps", "1", "--out", Path.Combine(dir, "big.png"), "--model", model);
        Assert.True(code == 0, error);
        Assert.Contains("warning: 192x192 is 9x the pixels 'unimog-mini' was trained at (64x64)", error);
        var refused = Unimog.Run("generate", "a red dot", "--width", "1024", "--height", "1024", "--steps", "1", "--out", Path.Combine(dir, "huge.png"), "--model", model);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("1024x1024 is 1,048,576 pixels; model 'unimog-mini' was trained at 64x64, and at most 65,536 are generated (Generation:MaxPixels", refused.Error);
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

    [Fact]
    public void A_server_that_does_not_answer_is_named_with_the_command_that_starts_one()
    {
        var port = FreePort();   // nothing listens there
        var run = Unimog.Run("generate", "a cat", "--server", $"http://127.0.0.1:{port}", "--steps", "2");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"no gateway answers at http://127.0.0.1:{port}", run.Error);
        Assert.Contains($"start one with: ./unimog serve --role all --urls http://127.0.0.1:{port}", run.Error);
        Assert.Single(run.Error.Trim().Split('\n'));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
