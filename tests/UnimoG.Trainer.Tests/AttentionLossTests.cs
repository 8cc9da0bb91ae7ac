using UnimoG.TestSupport;
using UnimoG.Text.Prompts;
using UnimoG.Modeling;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using UnimoG.Engines.Trainer.Conditions;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Data;
using UnimoG.Engines.Trainer.Losses;
using UnimoG.Engines.Trainer.Training;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Trainer.Tests;

[Collection("torch threads")]
public class AttentionLossTests
{
    private const string Layer = "down_blocks.0.attentions.0.transformer_blocks.0.attn2";

    [Fact]
    public void The_attention_loss_gradient_reaches_only_the_query_and_key_path()
    {
        var world = TinyWorld.Instance;
        using var encoder = TinyWorld.NewEncoder();
        using var conditions = new MllmConditions(encoder, ownsEncoder: false);
        var examples = Datasets.Load(new DataSettings { Kind = "prepared", Path = world.Stage2Data }).Take(2).ToList();
        using var cond = conditions.Encode(examples.Select(e => ConditionRequest.For(e, plain: false)).ToList());
        Assert.False(cond.HiddenStates.requires_grad);
        var bucket = new Bucket(0, 1.0, 16, 16);
        var entities = new List<EntityTarget>();
        for (var row = 0; row < 2; row++)
            foreach (var span in cond.Spans[row])
                entities.Add(new EntityTarget(row, span, ImageTransform.Mask(examples[row].Images[span.ImageIndex].Mask.Decode(), 16, 16, bucket)));
        Assert.Equal(4, entities.Count);

        using var unet = new UNet2DConditionModel(ConfigJson.Parse<UNet2DConditionConfig>(TinyWorld.UNetConfigJson, "tiny"));
        WeightInit.Reset(unet, 3);
        unet.train();
        var g = new Generator(1);
        using var x = randn([2, 4, 8, 8], generator: g);
        using var t = tensor(new long[] { 10, 700 });
        using (var capture = unet.CaptureCrossAttention([Layer]))
        {
            using var eps = unet.forward(x, t, cond);
            using var loss = AttentionMaskLoss.Compute([capture[Layer]], entities, new AttentionLossSettings { Lambda = 1 });
            Assert.True(loss.item<float>() > 0);
            loss.backward();
        }

        static bool NonZero(Tensor? grad) => grad is not null && grad.abs().sum().item<float>() > 0;
        var p = unet.named_parameters().ToDictionary(n => n.name, n => n.parameter);
        Assert.True(NonZero(p[Layer + ".to_q.weight"].grad), "to_q gets a gradient");
        Assert.True(NonZero(p[Layer + ".to_k.weight"].grad), "to_k gets a gradient");
        // nothing downstream of the probabilities: values, output projection, the rest of the block, later layers
        var after = p.Keys.Where(n => n.StartsWith(Layer + ".to_v") || n.StartsWith(Layer + ".to_out")
            || n.StartsWith("down_blocks.0.attentions.0.transformer_blocks.0.ff") || n.StartsWith("down_blocks.0.attentions.0.transformer_blocks.0.norm3")
            || n.StartsWith("down_blocks.0.attentions.0.proj_out") || n.StartsWith("down_blocks.0.downsamplers") || n.StartsWith("down_blocks.1")
            || n.StartsWith("mid_block") || n.StartsWith("up_blocks") || n.StartsWith("conv_norm_out") || n.StartsWith("conv_out")).ToList();
        Assert.True(after.Count > 20);
        Assert.All(after, n => Assert.False(NonZero(p[n].grad), $"{n} must get no gradient from L_attn"));
        // the frozen encoder gets nothing
        foreach (var m in new nn.Module[] { encoder.Vision, (nn.Module)encoder.Adapter, encoder.Llm })
            Assert.All(m.parameters(), q => Assert.True(q.grad is null));
    }

    [Fact]
    public void The_aggregation_matches_the_documented_formula()
    {
        // P [B=1, heads=2, h*w=4 (2x2), L=5]; entity tokens 1..3; mask 4x4 -> area-resized to 2x2
        var g = new Generator(9);
        using var scores = randn([1, 2, 4, 5], generator: g);
        using var probs = scores.softmax(-1);
        var p = probs.data<float>().ToArray();
        float P(int h, int q, int l) => p[(h * 4 + q) * 5 + l];
        var maskFull = new float[16];
        for (var y = 0; y < 4; y++) for (var x = 0; x < 4; x++) maskFull[y * 4 + x] = x < 2 && y < 3 ? 1 : 0;
        using var mask = tensor(maskFull).reshape(4, 4);
        // area resize by hand: each 2x2 cell's mean
        var m = new double[4];
        for (var cy = 0; cy < 2; cy++) for (var cx = 0; cx < 2; cx++)
            m[cy * 2 + cx] = (maskFull[(2 * cy) * 4 + 2 * cx] + maskFull[(2 * cy) * 4 + 2 * cx + 1] + maskFull[(2 * cy + 1) * 4 + 2 * cx] + maskFull[(2 * cy + 1) * 4 + 2 * cx + 1]) / 4.0;
        var map = new CapturedAttention("layer", probs, 2, 2);
        var entity = new EntityTarget(0, new VisualSpan(0, 1, 4), mask);

        foreach (var (tokens, heads) in new[] { ("sum", "mean"), ("mean", "mean"), ("max", "max"), ("sum", "max") })
        {
            double expected = 0;
            for (var q = 0; q < 4; q++)
            {
                var perHead = new double[2];
                for (var h = 0; h < 2; h++)
                {
                    var vals = Enumerable.Range(1, 3).Select(l => (double)P(h, q, l)).ToList();
                    perHead[h] = tokens switch { "sum" => vals.Sum(), "mean" => vals.Average(), _ => vals.Max() };
                }
                var a = heads == "max" ? perHead.Max() : perHead.Average();
                expected += Math.Abs(a - m[q]) / 4;
            }
            using var got = AttentionMaskLoss.Compute([map], [entity], new AttentionLossSettings { Lambda = 1, Tokens = tokens, Heads = heads });
            Assert.Equal(expected, got.item<float>(), 5);
        }
        // two layers: mean vs sum of the per-layer losses
        using var one = AttentionMaskLoss.Compute([map], [entity], new AttentionLossSettings { Lambda = 1 });
        using var mean2 = AttentionMaskLoss.Compute([map, map], [entity], new AttentionLossSettings { Lambda = 1 });
        using var sum2 = AttentionMaskLoss.Compute([map, map], [entity], new AttentionLossSettings { Lambda = 1, LayerReduction = "sum" });
        Assert.Equal(one.item<float>(), mean2.item<float>(), 6);
        Assert.Equal(2 * one.item<float>(), sum2.item<float>(), 6);
    }

    [Fact]
    public void Mask_resizes_and_layer_selection()
    {
        using var mask = tensor(new float[] { 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }).reshape(4, 4);
        using var area = AttentionMaskLoss.Resize(mask, 2, 2, "area");
        Assert.Equal([1f, 0f, 0f, 0.25f], area.data<float>().ToArray());
        using var nearest = AttentionMaskLoss.Resize(mask, 2, 2, "nearest");
        Assert.Equal([1f, 0f, 0f, 0f], nearest.data<float>().ToArray());

        UNet2DConditionModel unet;
        using (new UnimoG.Modeling.ModelPlacement(META, ScalarType.Float32).Use())
            unet = new UNet2DConditionModel(ConfigJson.Parse<UNet2DConditionConfig>(TinyWorld.UNetConfigJson, "tiny"));
        using var _ = unet;
        // latent 8: down_blocks.0 and up_blocks.1 at 8x8, down_blocks.1, mid, up_blocks.0 at 4x4
        var at = new ConfigLocation("train.json", "attention_loss");
        var small = AttentionMaskLoss.Layers(unet, new AttentionLossSettings { Lambda = 1, MaxResolution = 4 }, 8, at);
        Assert.All(small, n => Assert.True(n.StartsWith("down_blocks.1") || n.StartsWith("mid_block") || n.StartsWith("up_blocks.0"), n));
        Assert.Equal(unet.CrossAttentionLayers.Count, AttentionMaskLoss.Layers(unet, new AttentionLossSettings { Lambda = 1 }, 8, at).Count);
        var e = Assert.Throws<ConfigException>(() => AttentionMaskLoss.Layers(unet, new AttentionLossSettings { Lambda = 1, Layers = ["nope"] }, 8, at));
        Assert.Equal("attention_loss.layers", e.Key);
        Assert.StartsWith("train.json: attention_loss.layers: 'nope' is not a cross-attention layer", e.Message);
    }
}
