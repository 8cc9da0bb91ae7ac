using UnimoG.TestSupport;
using UnimoG.Modeling.Encoders;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static UnimoG.Modeling.Tests.Encoders.TransformersFixtures;

namespace UnimoG.Modeling.Tests.Encoders;

/// <summary>Every component against transformers v4.37.2, through the same code the <c>unimog component</c> commands run.</summary>
public class ComponentFixtureTests(ITestOutputHelper log)
{
    private double RunCase(string kind, string model, string inputs, string outputs)
    {
        var outPath = Path.Combine(Path.GetTempPath(), $"component-{Guid.NewGuid():N}.safetensors");
        try
        {
            var unused = ComponentRunner.RunFiles(kind, Dir(model), File(model, inputs), outPath);
            Assert.Empty(unused);
            var actual = new Dictionary<string, Tensor>();
            var f = UnimoG.Modeling.Checkpoints.SafetensorsFile.Open(outPath);
            foreach (var (name, entry) in f.Entries)
            {
                Assert.Equal("F32", entry.DType);
                actual[name] = f.Read(name);
            }
            var err = TensorAssert.Close(Read(model, outputs), actual, rtol: 0, atol: 1e-5);
            log.WriteLine($"{kind} {model}/{inputs}: max abs error {err:E2}");
            return err;
        }
        finally
        {
            System.IO.File.Delete(outPath);
        }
    }

    [Theory]
    [InlineData("clip-text", "clip_text_argmax", "inputs.safetensors", "outputs.safetensors")]
    [InlineData("clip-text", "clip_text_argmax", "nomask_inputs.safetensors", "nomask_outputs.safetensors")]
    [InlineData("clip-text", "clip_text_eos", "inputs.safetensors", "outputs.safetensors")]
    [InlineData("clip-vision", "clip_vision", "inputs.safetensors", "outputs.safetensors")]
    [InlineData("qformer", "qformer", "inputs.safetensors", "outputs.safetensors")]
    [InlineData("qformer", "qformer", "masked_inputs.safetensors", "masked_outputs.safetensors")]
    [InlineData("llama", "llama_gqa", "right_inputs.safetensors", "right_outputs.safetensors")]
    [InlineData("llama", "llama_gqa", "left_inputs.safetensors", "left_outputs.safetensors")]
    [InlineData("llama", "llama_gqa", "embeds_inputs.safetensors", "embeds_outputs.safetensors")]
    [InlineData("llama", "llama_tied", "right_inputs.safetensors", "right_outputs.safetensors")]
    [InlineData("llama", "llama_tied", "left_inputs.safetensors", "left_outputs.safetensors")]
    [InlineData("llama", "llama_tied", "embeds_inputs.safetensors", "embeds_outputs.safetensors")]
    public void Matches_transformers(string kind, string model, string inputs, string outputs) =>
        Assert.True(RunCase(kind, model, inputs, outputs) <= 1e-5);
}
