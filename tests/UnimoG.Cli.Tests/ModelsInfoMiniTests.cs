using System.Text.Json;
using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary><c>unimog models info mini</c> is the shipped folder's own description, not another architecture's.</summary>
public class ModelsInfoMiniTests
{
    private static readonly string Shipped = Path.Combine(RepoPaths.Root, "models", "unimog-mini");

    [Fact]
    public void Mini_names_the_shipped_folder_and_prints_what_its_files_say()
    {
        var (code, byName, error) = CliRunner.Run("models", "info", "mini");
        Assert.True(code == 0, error);
        var (_, byFolder, _) = CliRunner.Run("models", "info", Shipped);
        Assert.StartsWith("mini: the shipped UNIMO-G mini", byName);
        Assert.EndsWith(byFolder, byName);

        // The values in the shipped files, read here independently of the command.
        using var unet = JsonDocument.Parse(File.ReadAllText(Path.Combine(Shipped, "unet", "config.json")));
        var channels = unet.RootElement.GetProperty("block_out_channels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var cross = unet.RootElement.GetProperty("cross_attention_dim").GetInt32();
        Assert.Equal([32, 64, 96], channels);
        Assert.Equal(256, cross);
        Assert.Contains("\"cross_attention_dim\": 256", byName);
        Assert.Contains("language_model  LLaMA 4 layers x 256", byName);
        Assert.Contains("vocabulary 2048", byName);
        Assert.Contains("tokenizer       mllm/tokenizer/tokenizer.model: 2,048 pieces", byName);
    }

    [Fact]
    public void The_untrained_placeholder_is_named_as_such()
    {
        var (code, output, error) = CliRunner.Run("models", "info", "placeholder");
        Assert.True(code == 0, error);
        Assert.StartsWith("placeholder: the UNTRAINED placeholder", output);
        Assert.Contains("not the shipped mini model", output);
    }
}
