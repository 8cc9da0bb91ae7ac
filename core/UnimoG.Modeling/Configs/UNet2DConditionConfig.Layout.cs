using UnimoG.Data.Config;

namespace UnimoG.Modeling.Configs;

/// <summary>The per-level layout diffusers derives from a U-Net config (what each block is built with).</summary>
public sealed partial record UNet2DConditionConfig
{
    /// <summary>Heads at a level: <c>num_attention_heads</c>, or (diffusers' naming quirk) <c>attention_head_dim</c> when that is null.</summary>
    public int Heads(int level) => (NumAttentionHeads ?? AttentionHeadDim).At(level);

    public bool OnlyCrossAttentionAt(int level) => OnlyCrossAttention.At(level);

    public int TimeEmbedDim => TimeEmbeddingDim ?? BlockOutChannels[0] * 4;

    /// <summary>The transformer depth of each of <paramref name="layers"/> attention layers at a level.</summary>
    private static int[] PerLayer(OneOrList<OneOrList<int>> counts, int level, int layers) =>
        Enumerable.Range(0, layers).Select(counts.At(level).At).ToArray();

    public UNetLevel Down(int i)
    {
        var c = BlockOutChannels;
        var layers = LayersPerBlock.At(i);
        return new UNetLevel(Strip(DownBlockTypes[i]), i == 0 ? c[0] : c[i - 1], c[i], 0, layers,
            PerLayer(TransformerLayersPerBlock, i, layers), Heads(i), CrossAttentionDim.At(i), OnlyCrossAttentionAt(i), i < Levels - 1);
    }

    public UNetLevel Mid()
    {
        var last = Levels - 1;
        return new UNetLevel(MidBlockType ?? "", BlockOutChannels[last], BlockOutChannels[last], 0, 1,
            PerLayer(TransformerLayersPerBlock, last, 1), Heads(last), CrossAttentionDim.At(last), false, false);
    }

    public UNetLevel Up(int i)
    {
        var n = Levels;
        var level = n - 1 - i; // the down level this up block mirrors
        var c = BlockOutChannels;
        var layers = LayersPerBlock.At(level) + 1;
        var transformer = ReverseTransformerLayersPerBlock is { } rev
            ? PerLayer(rev, i, layers)
            : PerLayer(TransformerLayersPerBlock, level, layers);
        var prev = c[Math.Min(n - i, n - 1)];
        var skip = c[Math.Max(level - 1, 0)];
        return new UNetLevel(Strip(UpBlockTypes[i]), skip, c[level], prev, layers, transformer, Heads(level),
            CrossAttentionDim.At(level), OnlyCrossAttentionAt(level), i < n - 1);
    }
}
