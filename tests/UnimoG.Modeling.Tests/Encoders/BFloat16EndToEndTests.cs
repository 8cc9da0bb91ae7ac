using SkiaSharp;
using TorchSharp;
using UnimoG.Modeling.Encoders;
using UnimoG.Modeling.Images;
using UnimoG.TestSupport;
using UnimoG.Text.Prompts;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Encoders;

/// <summary>
/// Every encoder built at bfloat16 (and float16) with tiny random weights, no fixture, and run end to end from float32
/// CPU inputs. A tensor a forward creates in float32 fails at the first op that meets a weight ("Input type
/// (CPUFloatType) and weight type (CPUBFloat16Type) should be the same"), or promotes what it meets to float32, which
/// the dtype checks on every hidden state catch; a mask of float.MinValue cannot even be filled into bfloat16. (The
/// device half of "any device" cannot run without a GPU: libtorch's C++ build has no meta kernels for convolution,
/// index_select or logical_not. <see cref="EncoderTensorCreationRuleTests"/> checks that every creation names one.)
/// </summary>
public class BFloat16EndToEndTests
{
    public static TheoryData<string> DTypes => new() { "bfloat16", "float16" };

    private static ModelPlacement At(string dtype) => new(CPU, ModelPlacement.DTypes[dtype]);

    /// <summary>Weights 0.3 N(0, 1) drawn in float32 on the CPU and copied in (rounded to the model's dtype).</summary>
    private static T Randomized<T>(T module, int seed) where T : nn.Module
    {
        using var _ = torch.no_grad();
        var g = new Generator((ulong)seed);
        foreach (var (_, p) in module.named_parameters())
            p.copy_(torch.randn(p.shape, generator: g) * 0.3);
        return Frozen.Freeze(module);
    }

    /// <summary>Where and in what dtype the tensor is, and that it is finite.</summary>
    private static void AssertAt(ModelPlacement at, Tensor t, string what)
    {
        Assert.True(at.DType == t.dtype, $"{what}: {t.dtype}, expected {at.DType}");
        Assert.True(at.Device.type == t.device_type, $"{what}: on {t.device}, expected {at.Device}");
        Assert.True(torch.isfinite(t).all().item<bool>(), $"{what}: not finite");
    }

    private static void AssertIds(ModelPlacement at, Tensor t, string what)
    {
        Assert.Equal(ScalarType.Int64, t.dtype);
        Assert.True(at.Device.type == t.device_type, $"{what}: on {t.device}, expected {at.Device}");
    }

    private static readonly ClipTextConfig TinyClipText = new()
    {
        VocabSize = 50, HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2,
        MaxPositionEmbeddings = 12, BosTokenId = 48, EosTokenId = 49, PadTokenId = 49,
    };

    [Theory]
    [MemberData(nameof(DTypes))]
    public void ClipTextAndItsConditioner(string dtype)
    {
        var at = At(dtype);
        ClipTextModel model;
        using (at.Use()) model = Randomized(new ClipTextModel(TinyClipText), 1);
        using var _ = model;
        using var noGrad = torch.no_grad();
        // float32 CPU ids and mask; row 1 is all padding (every key masked: finfo.min, never -inf + -inf = NaN rows)
        using var ids = torch.tensor(new long[,] { { 48, 5, 6, 7, 49, 49 }, { 48, 9, 10, 11, 12, 49 } });
        using var mask = torch.tensor(new long[,] { { 1, 1, 1, 1, 1, 0 }, { 0, 0, 0, 0, 0, 0 } });
        using var o = model.forward(ids, mask);
        AssertAt(at, o.LastHiddenState, "last_hidden_state");
        AssertAt(at, o.PoolerOutput, "pooler_output");
        for (var i = 0; i < o.HiddenStates.Count; i++) AssertAt(at, o.HiddenStates[i], $"hidden_states.{i}");

        var conditioner = new ClipTextConditioner(model, _ => [48, 3, 4, 49]);
        using var c = conditioner.Encode(["a", "b"]);
        AssertAt(at, c.HiddenStates, "condition");
        using var skipped = conditioner.Encode(["a"], clipSkip: 1);
        AssertAt(at, skipped.HiddenStates, "clip skip 1");
    }

    [Theory]
    [MemberData(nameof(DTypes))]
    public void ClipVision(string dtype)
    {
        var at = At(dtype);
        var config = new ClipVisionConfig { HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, PatchSize = 4, ImageSize = 16 };
        ClipVisionModel model;
        using (at.Use()) model = Randomized(new ClipVisionModel(config), 2);
        using var _ = model;
        using var noGrad = torch.no_grad();
        using var px = torch.randn([2, 3, 16, 16], generator: new Generator(3)); // float32 on the CPU
        using var o = model.forward(px);
        AssertAt(at, o.PoolerOutput, "pooler_output");
        for (var i = 0; i < o.HiddenStates.Count; i++) AssertAt(at, o.HiddenStates[i], $"hidden_states.{i}");
    }

    [Theory]
    [MemberData(nameof(DTypes))]
    public void QFormerWithBothMasksAndBothAdapters(string dtype)
    {
        var at = At(dtype);
        var arch = MllmConfigs.Tiny;
        Blip2QFormerModel qformer;
        QFormerAdapter qAdapter;
        MlpAdapter mlp;
        using (at.Use())
        {
            qformer = Randomized(new Blip2QFormerModel(arch.QFormer!), 4);
            qAdapter = Randomized(new QFormerAdapter(arch.QFormer!, 4, arch.Llm.HiddenSize), 5);
            mlp = Randomized(new MlpAdapter(arch.VisionWidth, arch.Llm.HiddenSize), 6);
        }
        using var q1 = qformer;
        using var q2 = qAdapter;
        using var q3 = mlp;
        using var noGrad = torch.no_grad();
        var g = new Generator(7);
        using var queries = torch.randn([2, 3, arch.QFormer!.HiddenSize], generator: g);
        using var image = torch.randn([2, 5, arch.VisionWidth], generator: g);
        using var queryMask = torch.tensor(new long[,] { { 1, 1, 0 }, { 1, 1, 1 } });
        using var imageMask = torch.tensor(new long[,] { { 1, 1, 1, 0, 0 }, { 0, 0, 0, 0, 0 } }); // row 1: no feature visible
        using var o = qformer.forward(queries, image, queryMask, imageMask);
        for (var i = 0; i < o.HiddenStates.Count; i++) AssertAt(at, o.HiddenStates[i], $"hidden_states.{i}");
        using var viaQFormer = qAdapter.forward(image);
        AssertAt(at, viaQFormer, "Q-Former adapter");
        Assert.Equal([2L, 4, arch.Llm.HiddenSize], viaQFormer.shape);
        using var viaMlp = mlp.forward(image);
        AssertAt(at, viaMlp, "MLP adapter");
    }

    [Theory]
    [MemberData(nameof(DTypes))]
    public void LlamaFromIdsAndFromEmbeds(string dtype)
    {
        var at = At(dtype);
        var config = MllmConfigs.Tiny.Llm;
        LlamaForCausalLM lm;
        using (at.Use()) lm = Randomized(new LlamaForCausalLM(config), 8);
        using var _ = lm;
        using var noGrad = torch.no_grad();
        // left padding: the padded queries see only masked keys (a row of finfo.min, which must stay finite)
        using var ids = torch.tensor(new long[,] { { 0, 0, 1, 5, 6 }, { 1, 7, 8, 9, 10 } });
        using var mask = torch.tensor(new long[,] { { 0, 0, 1, 1, 1 }, { 1, 1, 1, 1, 1 } });
        using var o = lm.model.forward(ids, attentionMask: mask, outputHiddenStates: true);
        for (var i = 0; i < o.HiddenStates.Count; i++) AssertAt(at, o.HiddenStates[i], $"hidden_states.{i}");
        using var logits = lm.Logits(o.LastHiddenState);
        AssertAt(at, logits, "logits");
        using var embeds = torch.randn([2, 5, config.HiddenSize], generator: new Generator(9)); // float32 on the CPU
        using var e = lm.model.forward(inputsEmbeds: embeds, attentionMask: mask, positionIds: torch.arange(5L).unsqueeze(0), outputHiddenStates: true);
        for (var i = 0; i < e.HiddenStates.Count; i++) AssertAt(at, e.HiddenStates[i], $"embeds hidden_states.{i}");
    }

    [Fact]
    public void LlamaGeneratesWithItsCacheInBFloat16()
    {
        var at = At("bfloat16");
        LlamaForCausalLM lm;
        using (at.Use()) lm = Randomized(new LlamaForCausalLM(MllmConfigs.Tiny.Llm), 10);
        using var _ = lm;
        using var prompt = torch.tensor(new long[,] { { 0, 1, 5, 6 }, { 1, 7, 8, 9 } });
        using var mask = torch.tensor(new long[,] { { 0, 1, 1, 1 }, { 1, 1, 1, 1 } });
        using var sequences = lm.Generate(prompt, mask, new GreedyOptions { MaxNewTokens = 5, EosTokenIds = [], PadTokenId = 0 });
        AssertIds(at, sequences, "sequences");
        Assert.Equal([2L, 9], sequences.shape);
        Tensor embeds;
        using (torch.no_grad()) embeds = lm.model.embed_tokens.forward(prompt[1..]);
        using var e = embeds;
        using var fromEmbeds = lm.GenerateFromEmbeds(e, options: new GreedyOptions { MaxNewTokens = 5, EosTokenIds = [] });
        AssertIds(at, fromEmbeds, "from embeds");
        // the same prompt from ids or from its embeddings gives the same tokens, at bfloat16 too
        Assert.Equal(sequences[1, 4..].data<long>().ToArray(), fromEmbeds[0].data<long>().ToArray());
    }

    public static TheoryData<string, string> MllmCases => new()
    {
        { "tiny-mllm", "bfloat16" }, { "tiny-mllm", "float16" }, { "tiny-mllm-mlp", "bfloat16" }, { "tiny-mllm-mlp", "float16" },
    };

    [Theory]
    [MemberData(nameof(MllmCases))]
    public void MllmEncoderWithItsCacheAndPromptParts(string name, string dtype)
    {
        var at = At(dtype);
        var arch = MllmConfigs.Get(name);
        using var cache = new EmbeddingCache(1 << 20);
        MllmEncoder enc;
        using (at.Use()) enc = MllmEncoderTests.TinyEncoder(arch, cache);
        using var _ = enc;
        Assert.All(new nn.Module[] { enc.Vision, (nn.Module)enc.Adapter, enc.Llm }.SelectMany(m => m.parameters()), p => Assert.Equal(at.DType, p.dtype));

        // a real prompt: PNG bytes through the CLIP processor (float32 pixels on the CPU), then MllmPromptParts
        var png = TestImages.Encode(20, 18, TestImages.Noise(20, 18, 11), SKEncodedImageFormat.Png);
        var prompt = MultimodalPrompt.FromText("a <img1> on a hill", [new PromptInput.Image(png)]);
        var parts = prompt.ToMllmParts(new ClipImageProcessor(ClipImageProcessorConfig.ForImageSize(arch.Vision.ImageSize)));
        MllmPart[] textOnly = [new MllmText("a dog")];

        using var visual = enc.VisualTokens(MllmEncoderTests.Image(1, arch));
        AssertAt(at, visual, "visual tokens");
        var (embeds, spans) = enc.Embed(parts);
        using var __ = embeds;
        AssertAt(at, embeds, "embeds");
        Assert.Single(spans);
        for (var round = 0; round < 2; round++) // the second round is served by the cache
        {
            using var batch = enc.EncodeBatch([parts, textOnly]);
            AssertAt(at, batch.HiddenStates, $"batch, round {round}");
            AssertIds(at, batch.AttentionMask!, $"batch mask, round {round}");
            using var one = enc.Encode(parts, layer: 1);
            AssertAt(at, one.HiddenStates, $"layer 1, round {round}");
            using var uncond = enc.EncodeUnconditional();
            AssertAt(at, uncond.HiddenStates, $"unconditional, round {round}");
            AssertIds(at, uncond.AttentionMask!, $"unconditional mask, round {round}");
        }
        Assert.True(cache.Hits >= 4, $"cache hits {cache.Hits}");
    }

    [Theory]
    [InlineData("tiny-mllm")]
    [InlineData("tiny-mllm-mlp")]
    public void MllmFolderLoadsFloat32FilesStraightIntoBFloat16(string name)
    {
        var at = At("bfloat16");
        var arch = MllmConfigs.Get(name);
        var dir = Path.Combine(Path.GetTempPath(), $"mllm-bf16-{Guid.NewGuid():N}");
        try
        {
            using (var fp32 = MllmEncoderTests.TinyEncoder(arch)) MllmFolder.Save(fp32, dir);
            using var enc = MllmFolder.Load(dir, MllmEncoderTests.CharTokenizer, at: at);
            Assert.All(new nn.Module[] { enc.Vision, (nn.Module)enc.Adapter, enc.Llm }.SelectMany(m => m.parameters()), p => Assert.Equal(at.DType, p.dtype));
            using var c = enc.Encode([new MllmText("x "), MllmEncoderTests.Image(5, arch), new MllmText(" y")]);
            AssertAt(at, c.HiddenStates, "condition");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
