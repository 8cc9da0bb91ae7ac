using System.Text.Json;
using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary>
/// <c>unimog models info</c>: the parameter counts of the named architectures and of a folder, and for <c>mini</c> the
/// shipped folder's own description, not another architecture's.
/// </summary>
public class ModelsInfoCommandTests
{
    private static readonly string Shipped = Path.Combine(RepoPaths.Root, "models", "unimog-mini");

    [Fact]
    public void Mini_names_the_shipped_folder_and_prints_what_its_files_say()
    {
        var (code, byName, error) = Unimog.Run("models", "info", "mini");
        Assert.True(code == 0, error);
        var (_, byFolder, _) = Unimog.Run("models", "info", Shipped);
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
        var (code, output, error) = Unimog.Run("models", "info", "placeholder");
        Assert.True(code == 0, error);
        Assert.StartsWith("placeholder: the UNTRAINED placeholder", output);
        Assert.Contains("not the shipped mini model", output);
    }

    [Fact]
    public void Models_info_prints_parameter_counts()
    {
        var text = string.Concat(new[] { "paper", "sd15", Path.Combine(RepoPaths.Root, "tests", "data", "diffusers-b", "unet_fp16_sharded_knobs") }.Select(n =>
        {
            var (code, output, error) = Unimog.Run("models", "info", n);
            Assert.True(code == 0, error);
            return output;
        }));
        Assert.Contains("unet (UNet2DConditionModel): 3,564,945,284 parameters", text);
        Assert.Contains("unet (UNet2DConditionModel): 859,520,964 parameters", text);
        Assert.Contains("vae (AutoencoderKL): 83,653,863 parameters", text);
        Assert.Contains("unet (UNet2DConditionModel): 261,925 parameters", text);   // diffusers' count (report.json)
        Assert.Contains("(F16)", text);
        var (c, _, error) = Unimog.Run("models", "info", "nonsense");
        Assert.Equal(2, c);
        Assert.Contains("paper, sd15", error);
    }

    [Fact]
    public void Models_info_describes_the_paper_MLLM_with_its_parameter_count()
    {
        var (code, output, _) = Unimog.Run("models", "info", "paper-mllm");
        Assert.Equal(0, code);
        Assert.Contains("6,607,343,616", output);   // LLaMA-7B without its head
        Assert.Contains("7,832,681,344", output);   // the whole encoder as built
    }
}
