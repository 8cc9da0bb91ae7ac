using UnimoG.TestSupport;
using UnimoG.Data.Config;
using UnimoG.Text.Prompts;
using TorchSharp;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Encoders;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Encoders;

public class MllmEncoderTests
{
    /// <summary>A stand-in tokenizer: one id per character (a..z -> 3..28, others 29..63 by code point).</summary>
    internal static readonly ILlmTokenizer CharTokenizer = new DelegateTokenizer(text =>
        text.Select(c => c is >= 'a' and <= 'z' ? c - 'a' + 3 : 29 + c % 35).ToList());

    internal static MllmEncoder TinyEncoder(MllmArchitecture arch, EmbeddingCache? cache = null, int seed = 7)
    {
        using var _ = torch.no_grad();
        var (vision, adapter, llm) = arch.BuildParts();
        var g = new Generator((ulong)seed);
        foreach (var m in new nn.Module[] { vision, (nn.Module)adapter, llm })
            foreach (var (_, p) in m.named_parameters())
                p.copy_(torch.randn(p.shape, generator: g) * 0.3);
        return new MllmEncoder(arch.Encoder, vision, adapter, llm, CharTokenizer, cache);
    }

    internal static MllmImage Image(int seed, MllmArchitecture arch)
    {
        var g = new Generator((ulong)seed);
        return MllmImage.FromPixels(torch.randn([3, arch.Vision.ImageSize, arch.Vision.ImageSize], generator: g));
    }

    [Theory]
    [InlineData("tiny-mllm")]
    [InlineData("tiny-mllm-mlp")]
    public void Visual_token_spans_sit_exactly_where_the_images_were_spliced(string name)
    {
        var arch = MllmConfigs.Get(name);
        using var enc = TinyEncoder(arch);
        var cat = Image(1, arch);
        var hat = Image(2, arch);
        MllmPart[] prompt = [new MllmText("a cat "), cat, new MllmText(" wearing "), hat];
        var (embeds, spans) = enc.Embed(prompt);

        var n = enc.TokensPerImage;
        Assert.Equal(name == "tiny-mllm" ? 4 : 16, n); // 4 queries; or 16 patches without the class token
        // BOS, "a cat <Img>", image 0, "</Img> wearing <Img>", image 1, "</Img>"
        var start0 = 1 + "a cat <Img>".Length;
        var start1 = start0 + n + "</Img> wearing <Img>".Length;
        Assert.Equal([new VisualSpan(0, start0, start0 + n), new VisualSpan(1, start1, start1 + n)], spans);
        Assert.Equal(start1 + n + "</Img>".Length, embeds.shape[0]);

        using var _ = torch.no_grad();
        using var catTokens = enc.VisualTokens(cat);
        TensorAssert.Identical(catTokens, embeds[start0..(start0 + n)], "cat tokens");
        using var hatTokens = enc.VisualTokens(hat);
        TensorAssert.Identical(hatTokens, embeds[start1..(start1 + n)], "hat tokens");
        // text positions hold the token embeddings of BOS + the tokenised segments
        var ids = new List<long> { 1 };
        ids.AddRange(CharTokenizer.Encode("a cat <Img>").Select(i => (long)i));
        using var text = enc.Llm.model.embed_tokens.forward(torch.tensor(ids.ToArray()));
        TensorAssert.Identical(text, embeds[..start0], "text embeddings");
    }

    [Fact]
    public void Condition_is_the_chosen_layer_of_the_LLM_over_the_spliced_embeddings()
    {
        var arch = MllmConfigs.Tiny;
        using var enc = TinyEncoder(arch);
        MllmPart[] prompt = [Image(3, arch), new MllmText(" on a beach")];
        using var cond = enc.Encode(prompt);
        var (embeds, spans) = enc.Embed(prompt);
        Assert.Equal([1L, embeds.shape[0], 24L], cond.HiddenStates.shape);
        Assert.Equal(spans, cond.Spans[0]);
        Assert.True(cond.AttentionMask!.eq(1).all().item<bool>());
        using var _ = torch.no_grad();
        using var direct = enc.Llm.model.forward(inputsEmbeds: embeds.unsqueeze(0), outputHiddenStates: true);
        TensorAssert.Close(direct.LastHiddenState, cond.HiddenStates, rtol: 0, atol: 1e-6, what: "last layer");
        using var layer0 = enc.Encode(prompt, layer: 0); // the embeddings themselves
        TensorAssert.Identical(embeds.unsqueeze(0), layer0.HiddenStates, "layer 0");
        using var layer1 = enc.Encode(prompt, layer: 1);
        TensorAssert.Close(direct.HiddenStates[1], layer1.HiddenStates, rtol: 0, atol: 1e-6, what: "layer 1");
    }

    [Fact]
    public void Batch_is_right_padded_and_each_row_equals_its_own_encoding()
    {
        var arch = MllmConfigs.Tiny;
        using var enc = TinyEncoder(arch);
        MllmPart[] shortPrompt = [new MllmText("a dog")];
        MllmPart[] longPrompt = [new MllmText("a dog beside "), Image(4, arch), new MllmText(" in snow")];
        using var batch = enc.EncodeBatch([shortPrompt, longPrompt]);
        using var a = enc.Encode(shortPrompt);
        using var b = enc.Encode(longPrompt);
        Assert.Equal(2, batch.BatchSize);
        Assert.Equal(b.Length, batch.Length);
        var la = (int)a.Length;
        Assert.Equal(Enumerable.Repeat(1L, la).Concat(Enumerable.Repeat(0L, (int)b.Length - la)), batch.AttentionMask![0].data<long>().ToArray());
        TensorAssert.Close(a.HiddenStates[0], batch.HiddenStates[0, ..la], rtol: 0, atol: 1e-5, what: "row 0");
        TensorAssert.Close(b.HiddenStates[0], batch.HiddenStates[1], rtol: 0, atol: 1e-5, what: "row 1");
        Assert.Empty(batch.Spans[0]);
        Assert.Equal(b.Spans[0], batch.Spans[1]);
    }

    [Fact]
    public void Rejects_empty_prompts_and_too_many_images()
    {
        var arch = MllmConfigs.Tiny;
        using var enc = TinyEncoder(arch);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => enc.Encode([])).Message);
        var nine = Enumerable.Range(0, 9).Select(i => (MllmPart)Image(i, arch)).ToArray();
        Assert.Contains("at most 8", Assert.Throws<ArgumentException>(() => enc.Encode(nine)).Message);
    }

    [Fact]
    public void Encoder_is_frozen()
    {
        using var enc = TinyEncoder(MllmConfigs.Tiny);
        Assert.All(new nn.Module[] { enc.Vision, (nn.Module)enc.Adapter, enc.Llm }.SelectMany(m => m.parameters()), p => Assert.False(p.requires_grad));
        Assert.False(enc.Llm.training);
        using var c = enc.Encode([new MllmText("hi")]);
        Assert.False(c.HiddenStates.requires_grad);
    }

    [Theory]
    [InlineData("tiny-mllm")]
    [InlineData("tiny-mllm-mlp")]
    public void Folder_round_trip_loads_strictly_and_gives_the_same_condition(string name)
    {
        var arch = MllmConfigs.Get(name);
        var dir = Path.Combine(Path.GetTempPath(), $"mllm-{Guid.NewGuid():N}");
        try
        {
            using var enc = TinyEncoder(arch);
            MllmFolder.Save(enc, dir);
            using var loaded = MllmFolder.Load(dir, CharTokenizer);
            MllmPart[] prompt = [new MllmText("x "), Image(5, arch), new MllmText(" y")];
            using var a = enc.Encode(prompt);
            using var b = loaded.Encode(prompt);
            TensorAssert.Identical(a.HiddenStates, b.HiddenStates, "hidden states");
            Assert.Equal(a.Spans[0], b.Spans[0]);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Loading_fails_naming_the_missing_tensor_or_the_bad_key()
    {
        var arch = MllmConfigs.Tiny;
        var dir = Path.Combine(Path.GetTempPath(), $"mllm-{Guid.NewGuid():N}");
        try
        {
            using (var enc = TinyEncoder(arch)) MllmFolder.Save(enc, dir);
            // drop language_projection.bias from the projector file
            var path = Path.Combine(dir, "projector", "model.safetensors");
            var f = SafetensorsFile.Open(path);
            var kept = f.Entries.Keys.Where(k => k != "language_projection.bias").Select(k => KeyValuePair.Create(k, f.Read(k))).ToList();
            SafetensorsWriter.Save(path, kept);
            var e = Assert.Throws<CheckpointMismatchException>(() => MllmFolder.Load(dir, CharTokenizer));
            Assert.Equal(["language_projection.bias"], e.Missing);

            File.WriteAllText(Path.Combine(dir, "encoder_config.json"), """{"adapter": "perceiver"}""");
            var bad = Assert.Throws<ConfigException>(() => MllmFolder.Load(dir, CharTokenizer));
            Assert.Equal("adapter", bad.Key);
            Assert.StartsWith($"{Path.Combine(dir, "encoder_config.json")}: adapter: ", bad.Message);
            // Our own format: a key it does not have is a mistake, not a setting to ignore.
            File.WriteAllText(Path.Combine(dir, "encoder_config.json"), """{"adaptor": "mlp"}""");
            Assert.Equal("adaptor", Assert.Throws<ConfigException>(() => MllmFolder.Load(dir, CharTokenizer)).Key);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
