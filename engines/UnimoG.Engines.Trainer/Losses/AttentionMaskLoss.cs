using UnimoG.Text.Prompts;
using UnimoG.Modeling;
using UnimoG.Modeling.Diffusion;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Losses;

/// <summary>An entity of one batch row: its visual-token span in the condition and its mask at the bucket's pixel size.</summary>
public sealed record EntityTarget(int Row, VisualSpan Span, Tensor Mask);

/// <summary>
/// UNIMO-G's visual-enhanced loss (paper, section 2.2): L_attn = 1/N sum_k |CA(z_t, v_k) - M_k|, per chosen layer.
/// For a layer with map P [B, heads, h*w, L] (softmax over the L keys, from the U-Net's capture switch, with gradients):
/// <code>
/// A_k   = P[row_k, :, :, start_k:end_k]                    [heads, h*w, n_k]   the entity's visual tokens
/// A_k   = tokens(A_k)  over n_k: sum (default) | mean | max [heads, h*w]
/// A_k   = heads(A_k)   over heads: mean (default) | max     [h*w] -> [h, w]
/// M_k   = resize(mask_k, h x w): area (default) | bilinear | nearest
/// l_k   = mean over the h*w pixels of |A_k - M_k|
/// L_lay = 1/N sum_k l_k                                      N = entities with visual tokens in the batch
/// L_attn = mean (default) | sum over the chosen layers of L_lay
/// </code>
/// "sum" over tokens makes A_k the share of a latent pixel's attention that goes to the entity, which lies in
/// [0, 1] like the mask; "mean" gives the average single-token map (the paper's per-token CA).
/// </summary>
public static class AttentionMaskLoss
{
    public static Tensor Compute(IReadOnlyList<CapturedAttention> maps, IReadOnlyList<EntityTarget> entities, AttentionLossSettings s)
    {
        if (maps.Count == 0) throw new ArgumentException("no attention maps were captured");
        if (entities.Count == 0) throw new ArgumentException("no entities with visual tokens in the batch");
        using var scope = NewDisposeScope();
        var perLayer = new List<Tensor>();
        foreach (var map in maps)
        {
            var terms = new List<Tensor>();
            foreach (var e in entities)
            {
                // In float32 whatever the model's dtype: the loss, like the MSE, is computed in full precision.
                var a = map.Probabilities[e.Row].narrow(-1, e.Span.Start, e.Span.Length).to_type(ScalarType.Float32); // [heads, h*w, n]
                a = s.Tokens switch
                {
                    "mean" => a.mean([-1]),
                    "max" => a.amax([-1]),
                    _ => a.sum(-1),
                };                                                                          // [heads, h*w]
                a = s.Heads == "max" ? a.amax([0]) : a.mean([0]);                          // [h*w]
                var m = Resize(e.Mask, map.Height, map.Width, s.MaskResize).reshape(-1);   // [h*w]
                terms.Add((a - m).abs().mean());
            }
            perLayer.Add(stack(terms).mean());
        }
        var all = stack(perLayer);
        return (s.LayerReduction == "sum" ? all.sum() : all.mean()).MoveToOuterDisposeScope();
    }

    /// <summary>A [H, W] mask resized to [h, w].</summary>
    public static Tensor Resize(Tensor mask, int h, int w, string mode)
    {
        if (mask.shape[0] == h && mask.shape[1] == w) return mask.alias();
        using var scope = NewDisposeScope();
        var m = mask.reshape(1, 1, mask.shape[0], mask.shape[1]).to_type(ScalarType.Float32);
        var r = mode switch
        {
            "bilinear" => nn.functional.interpolate(m, [h, w], mode: InterpolationMode.Bilinear, align_corners: false),
            "nearest" => nn.functional.interpolate(m, [h, w], mode: InterpolationMode.Nearest),
            _ => nn.functional.adaptive_avg_pool2d(m, [h, w]),
        };
        return r[0, 0].MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The cross-attention layers the loss reads: the configured names, or every cross-attention layer whose map is at
    /// most <c>max_resolution</c> on its longer side for a latent of <paramref name="latentSide"/> (all when neither is set).
    /// </summary>
    /// <param name="at">Where <paramref name="s"/> sits in its config file (errors name it).</param>
    public static IReadOnlyList<string> Layers(UNet2DConditionModel unet, AttentionLossSettings s, int latentSide, ConfigLocation at)
    {
        if (s.Layers is { } named)
        {
            foreach (var n in named)
                if (!unet.CrossAttentionLayers.Contains(n))
                    throw at["layers"].Error($"'{n}' is not a cross-attention layer of the U-Net (e.g. {string.Join(", ", unet.CrossAttentionLayers.Take(3))})");
            return named;
        }
        if (s.MaxResolution is not { } r) return unet.CrossAttentionLayers;
        var levels = unet.Config.Levels;
        var chosen = unet.CrossAttentionLayers.Where(n => MapSide(n, latentSide, levels) <= r).ToList();
        return chosen.Count > 0 ? chosen
            : throw at["max_resolution"].Error($"no cross-attention layer has maps of side <= {r} (latent side {latentSide})");
    }

    /// <summary>A layer's map side from its block: down_blocks.i at latent / 2^i, up_blocks.i at latent / 2^(levels-1-i), the mid block at the smallest.</summary>
    public static int MapSide(string layer, int latentSide, int levels)
    {
        var parts = layer.Split('.');
        var level = parts[0] switch
        {
            "down_blocks" => int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture),
            "up_blocks" => levels - 1 - int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture),
            _ => levels - 1,
        };
        var side = latentSide;
        for (var i = 0; i < level; i++) side = (side + 1) / 2;
        return side;
    }
}
