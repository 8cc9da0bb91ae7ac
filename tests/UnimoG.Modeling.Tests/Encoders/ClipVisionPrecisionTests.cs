using Xunit.Abstractions;

namespace UnimoG.Modeling.Tests.Encoders;

/// <summary>
/// CLIP vision (3 layers, fp16-stored weights; float32 pixel_values cast to the model's dtype at its entry) at bfloat16
/// and float16 against transformers' float32 outputs. Bound, derived in <see cref="PrecisionBounds"/>:
/// r_l &lt;= 12 (l + 1) u at hidden_states.l (hidden_states.0 is the pre-layernormed embedding), each layer adding at most
/// 12 u; last_hidden_state is hidden_states.L, pooler_output the class token after post_layernorm (L + 1).
/// </summary>
public class ClipVisionPrecisionTests(ITestOutputHelper log)
{
    [Theory]
    [InlineData("bfloat16")]
    [InlineData("float16")]
    public void ErrorStaysWithinTheRoundoffBoundAtEveryDepth(string dtype) =>
        PrecisionBounds.Check("clip-vision", "clip_vision", "inputs.safetensors", "outputs.safetensors", dtype,
            new Dictionary<string, int> { ["last_hidden_state"] = 0, ["pooler_output"] = 1 }, log);
}
