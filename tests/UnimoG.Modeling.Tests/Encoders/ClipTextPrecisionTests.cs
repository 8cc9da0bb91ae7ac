using Xunit.Abstractions;

namespace UnimoG.Modeling.Tests.Encoders;

/// <summary>
/// CLIP text at bfloat16 and float16 against transformers' float32 outputs of the same weights (clip_text_argmax: 3
/// layers, fp32-stored, so bf16/fp16 also round the weights; clip_text_eos: 2 layers, fp16-stored). Bound, derived in
/// <see cref="PrecisionBounds"/>: r_l = max|err| / max|ref| &lt;= 12 (l + 1) u at hidden_states.l, each layer adding at
/// most 12 u; last_hidden_state and pooler_output come after final_layer_norm, one deeper (L + 1).
/// </summary>
public class ClipTextPrecisionTests(ITestOutputHelper log)
{
    [Theory]
    [InlineData("clip_text_argmax", "inputs.safetensors", "outputs.safetensors", "bfloat16")]
    [InlineData("clip_text_argmax", "inputs.safetensors", "outputs.safetensors", "float16")]
    [InlineData("clip_text_argmax", "nomask_inputs.safetensors", "nomask_outputs.safetensors", "bfloat16")]
    [InlineData("clip_text_argmax", "nomask_inputs.safetensors", "nomask_outputs.safetensors", "float16")]
    [InlineData("clip_text_eos", "inputs.safetensors", "outputs.safetensors", "bfloat16")]
    [InlineData("clip_text_eos", "inputs.safetensors", "outputs.safetensors", "float16")]
    public void ErrorStaysWithinTheRoundoffBoundAtEveryDepth(string model, string inputs, string outputs, string dtype) =>
        PrecisionBounds.Check("clip-text", model, inputs, outputs, dtype,
            new Dictionary<string, int> { ["last_hidden_state"] = 1, ["pooler_output"] = 1 }, log);
}
