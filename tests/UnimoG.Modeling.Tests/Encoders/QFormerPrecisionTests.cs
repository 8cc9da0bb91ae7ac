using Xunit.Abstractions;

namespace UnimoG.Modeling.Tests.Encoders;

/// <summary>
/// The Q-Former (4 layers, cross-attention in layers 0 and 2, fp16-stored weights) at bfloat16 and float16 against
/// transformers' float32 outputs, without and with both masks (-10000 over the queries, the dtype's finfo.min over the
/// image features). Bound, derived in <see cref="PrecisionBounds"/>: r_l &lt;= 12 (l + 1) u at hidden_states.l
/// (hidden_states.0 is the layernormed queries), each layer adding at most 12 u; last_hidden_state is hidden_states.L.
/// </summary>
public class QFormerPrecisionTests(ITestOutputHelper log)
{
    [Theory]
    [InlineData("inputs.safetensors", "outputs.safetensors", "bfloat16")]
    [InlineData("inputs.safetensors", "outputs.safetensors", "float16")]
    [InlineData("masked_inputs.safetensors", "masked_outputs.safetensors", "bfloat16")]
    [InlineData("masked_inputs.safetensors", "masked_outputs.safetensors", "float16")]
    public void ErrorStaysWithinTheRoundoffBoundAtEveryDepth(string inputs, string outputs, string dtype) =>
        PrecisionBounds.Check("qformer", "qformer", inputs, outputs, dtype,
            new Dictionary<string, int> { ["last_hidden_state"] = 0 }, log);
}
