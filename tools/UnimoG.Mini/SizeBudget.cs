using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using UnimoG.Modeling.Encoders;

namespace UnimoG.Mini;

/// <summary>One shipped part: parameters and the bytes its weights take stored as F16.</summary>
public sealed record BudgetLine(string Part, long Parameters)
{
    public long F16Bytes => Parameters * 2;
}

/// <summary>The mini model's size budget (<see cref="MiniConfigs.BudgetBytes"/>), counted on the meta device (no weights allocated).</summary>
public static class SizeBudget
{
    public static IReadOnlyList<BudgetLine> Lines(string adapter = "qformer", UNet2DConditionConfig? unet = null, AutoencoderKLConfig? vae = null)
    {
        var mllm = MllmConfigs.CountParameters(MiniConfigs.Mllm(adapter));
        return
        [
            new("vae", AutoencoderKL.CountParameters(vae ?? MiniConfigs.Vae)),
            new("mllm/vision_model", mllm["vision_model"]),
            new($"mllm/{(adapter == "qformer" ? "qformer+projector" : "projector")}", mllm["adapter"]),
            new("mllm/language_model", mllm["language_model"] + mllm["lm_head"]),
            new("unet", UNet2DConditionModel.CountParameters(unet ?? MiniConfigs.UNet)),
        ];
    }

    /// <summary>Total bytes of the weights as F16 plus <paramref name="otherBytes"/> (tokenizer, configs, notices).</summary>
    public static long Total(IEnumerable<BudgetLine> lines, long otherBytes) => lines.Sum(l => l.F16Bytes) + otherBytes;
}
