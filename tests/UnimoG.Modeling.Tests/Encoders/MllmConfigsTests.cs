using UnimoG.Modeling.Encoders;

namespace UnimoG.Modeling.Tests.Encoders;

/// <summary>Builds on the meta device (process-wide default device): kept out of parallel runs.</summary>
[CollectionDefinition(nameof(MetaDeviceCollection), DisableParallelization = true)]
public class MetaDeviceCollection;

[Collection(nameof(MetaDeviceCollection))]
public class MllmConfigsTests
{
    private static long Linear(long i, long o, bool bias = true) => i * o + (bias ? o : 0);
    private static long LayerNorm(long d) => 2 * d;

    [Fact]
    public void Paper_parameter_count_is_the_closed_form_of_its_parts()
    {
        var counts = MllmConfigs.CountParameters(MllmConfigs.Paper);

        // LLaMA-7B: the well-known 6,738,415,616 with lm_head (6,607,343,616 without).
        Assert.Equal(6_607_343_616L, counts["language_model"]);
        Assert.Equal(6_738_415_616L, counts["language_model"] + counts["lm_head"]);

        // CLIP-structured ViT-g/14 size: width 1408, 39 layers, MLP 6144, 16x16 patches of 14 px + class token.
        long d = 1408, mlp = 6144;
        var layer = 4 * Linear(d, d) + 2 * LayerNorm(d) + Linear(d, mlp) + Linear(mlp, d);
        var vision = d + 3 * 14 * 14 * d + 257 * d + 2 * LayerNorm(d) + 39 * layer;
        Assert.Equal(vision, counts["vision_model"]);

        // Q-Former (BERT-base size, cross-attention on even layers to 1408-wide features) + 32 queries + 768 -> 4096.
        long q = 768, ff = 3072;
        var self = 4 * Linear(q, q) + LayerNorm(q);
        var cross = 2 * Linear(q, q) + 2 * Linear(d, q) + LayerNorm(q);
        var ffn = Linear(q, ff) + Linear(ff, q) + LayerNorm(q);
        var qformer = LayerNorm(q) + 12 * (self + ffn) + 6 * cross;
        Assert.Equal(qformer + 32 * q + Linear(q, 4096), counts["adapter"]);

        Assert.Equal(counts["vision_model"] + counts["adapter"] + counts["language_model"] + counts["lm_head"], counts["total"]);
        Assert.InRange(counts["total"], 7_800_000_000L, 7_900_000_000L);
    }
}
