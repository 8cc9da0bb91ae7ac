using TorchSharp;
using UnimoG.Modeling.Encoders;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static UnimoG.Modeling.Tests.Encoders.TransformersFixtures;

namespace UnimoG.Modeling.Tests.Encoders;

/// <summary>
/// LLaMA at bfloat16 and float16 against transformers' float32 outputs: llama_gqa (3 layers, 2 kv heads, fp16-stored)
/// and llama_tied (2 layers, attention bias, rope_theta 500000, fp32-stored), with right padding, left padding (its
/// padded queries see only masked keys: a row of finfo.min, which must stay finite) and spliced inputs_embeds. Bound,
/// derived in <see cref="PrecisionBounds"/>: r_l &lt;= 12 (l + 1) u at hidden_states.l (hidden_states.L is after the
/// final RMSNorm), each layer adding at most 12 u; the logits come from lm_head, one deeper (L + 1).
/// </summary>
public class LlamaPrecisionTests(ITestOutputHelper log)
{
    [Theory]
    [InlineData("llama_gqa", "right", "bfloat16")]
    [InlineData("llama_gqa", "right", "float16")]
    [InlineData("llama_gqa", "left", "bfloat16")]
    [InlineData("llama_gqa", "left", "float16")]
    [InlineData("llama_gqa", "embeds", "bfloat16")]
    [InlineData("llama_gqa", "embeds", "float16")]
    [InlineData("llama_tied", "right", "bfloat16")]
    [InlineData("llama_tied", "right", "float16")]
    [InlineData("llama_tied", "left", "bfloat16")]
    [InlineData("llama_tied", "left", "float16")]
    [InlineData("llama_tied", "embeds", "bfloat16")]
    [InlineData("llama_tied", "embeds", "float16")]
    public void ErrorStaysWithinTheRoundoffBoundAtEveryDepth(string model, string @case, string dtype) =>
        PrecisionBounds.Check("llama", model, $"{@case}_inputs.safetensors", $"{@case}_outputs.safetensors", dtype,
            new Dictionary<string, int> { ["last_hidden_state"] = 0 }, log);

    [Theory]
    [InlineData("llama_gqa", "bfloat16")]
    [InlineData("llama_gqa", "float16")]
    [InlineData("llama_tied", "bfloat16")]
    [InlineData("llama_tied", "float16")]
    public void LogitsStayWithinTheBoundOneLayerDeeper(string model, string dtype)
    {
        var at = PrecisionBounds.Cpu(dtype);
        var u = PrecisionBounds.UnitRoundoff(at.DType);
        using var lm = LlamaForCausalLM.FromPretrained(Dir(model), at: at);
        var f = Read(model, "logits.safetensors");
        using var _ = torch.no_grad();
        using var o = lm.model.forward(f["input_ids"], attentionMask: f["attention_mask"]);
        using var logits = lm.Logits(o.LastHiddenState);
        Assert.Equal(at.DType, logits.dtype);
        var depth = lm.Config.NumHiddenLayers + 1;
        var r = PrecisionBounds.Relative(f["logits"], logits);
        log.WriteLine($"{model} logits at {dtype}: r = {r:E3} = {r / u:F2} u (bound {PrecisionBounds.K * (depth + 1)} u)");
        Assert.True(double.IsFinite(r) && r <= PrecisionBounds.K * (depth + 1) * u, $"logits: r = {r:E3}");
    }
}
