using UnimoG.Modeling.Checkpoints;
using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary>The encoder component commands against transformers v4.37.2 outputs (tests/data/transformers).</summary>
public class ComponentEncoderTests
{
    private static string Data(params string[] parts) => Path.Combine([RepoPaths.Root, "tests", "data", "transformers", .. parts]);

    [Theory]
    [InlineData("clip-text", "clip_text_argmax", "inputs", "outputs")]
    [InlineData("clip-text", "clip_text_eos", "inputs", "outputs")]
    [InlineData("clip-vision", "clip_vision", "inputs", "outputs")]
    [InlineData("qformer", "qformer", "masked_inputs", "masked_outputs")]
    [InlineData("llama", "llama_gqa", "left_inputs", "left_outputs")]
    [InlineData("llama", "llama_tied", "embeds_inputs", "embeds_outputs")]
    public void Writes_float32_outputs_matching_transformers(string kind, string model, string inputs, string outputs)
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("component-").FullName, "out.safetensors");
        var (code, _, error) = Unimog.Run("component", kind, "--model", Data(model), "--inputs", Data(model, inputs + ".safetensors"), "--output", output);
        Assert.True(code == 0, error);
        var got = SafetensorsFile.Open(output);
        var want = SafetensorsFile.Open(Data(model, outputs + ".safetensors"));
        Assert.Equal(want.Entries.Keys.Order(), got.Entries.Keys.Order());
        foreach (var name in want.Entries.Keys)
        {
            Assert.Equal("F32", got.Entries[name].DType);
            using var a = got.Read(name);
            using var b = want.Read(name);
            TensorAssert.Close(b, a, rtol: 0, atol: 1e-5, what: name);
        }
    }

    [Fact]
    public void A_missing_tensor_is_one_line_and_exit_code_2()
    {
        var (code, _, error) = Unimog.Run("component", "clip-vision", "--model", Data("clip_vision"),
            "--inputs", Data("llama_gqa", "right_inputs.safetensors"), "--output", Path.Combine(Path.GetTempPath(), "never.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("missing input tensor 'pixel_values'", error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
