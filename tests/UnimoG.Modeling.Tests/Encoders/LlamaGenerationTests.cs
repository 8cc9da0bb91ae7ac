using UnimoG.TestSupport;
using TorchSharp;
using UnimoG.Modeling.Encoders;
using static TorchSharp.torch;
using static UnimoG.Modeling.Tests.Encoders.TransformersFixtures;

namespace UnimoG.Modeling.Tests.Encoders;

public class LlamaGenerationTests
{
    [Theory]
    [InlineData("llama_gqa")]
    [InlineData("llama_tied")]
    public void Logits_match_transformers(string model)
    {
        using var lm = LlamaForCausalLM.FromPretrained(Dir(model));
        var f = Read(model, "logits.safetensors");
        using var _ = torch.no_grad();
        using var o = lm.model.forward(f["input_ids"], attentionMask: f["attention_mask"]);
        using var logits = lm.Logits(o.LastHiddenState);
        TensorAssert.Close(f["logits"], logits, rtol: 0, atol: 1e-5, what: "logits");
    }

    [Theory]
    [InlineData("llama_gqa", "generate_single.safetensors")]  // runs to max_new_tokens
    [InlineData("llama_tied", "generate_single.safetensors")] // stops at eos (65) after one token
    [InlineData("llama_gqa", "generate_left.safetensors")]    // batch with left padding
    [InlineData("llama_tied", "generate_left.safetensors")]
    public void Greedy_equals_transformers_generate(string model, string file)
    {
        using var lm = LlamaForCausalLM.FromPretrained(Dir(model));
        var f = Read(model, file);
        var expected = f["sequences"];
        var prompt = f["input_ids"];
        using var got = lm.Generate(prompt, f.GetValueOrDefault("attention_mask"), new GreedyOptions
        {
            MaxNewTokens = (int)(expected.shape[1] - prompt.shape[1]) + (model == "llama_tied" && file.Contains("single") ? 11 : 0),
            PadTokenId = 0,
        });
        Assert.Equal(expected.data<long>().ToArray(), got.data<long>().ToArray());
        Assert.Equal(expected.shape, got.shape);
    }

    [Fact]
    public void Cached_greedy_equals_argmax_of_full_forward_step_by_step()
    {
        using var lm = LlamaForCausalLM.FromPretrained(Dir("llama_gqa"));
        using var prompt = torch.tensor(new long[] { 1, 50, 3, 77, 20 }).unsqueeze(0);
        using var cached = lm.Generate(prompt, options: new GreedyOptions { MaxNewTokens = 8, EosTokenIds = [] });
        using var _ = torch.no_grad();
        var seq = prompt.clone();
        for (var i = 0; i < 8; i++)
        {
            using var o = lm.model.forward(seq);
            using var logits = lm.Logits(o.LastHiddenState[.., -1, ..]);
            seq = torch.cat([seq, logits.argmax(-1).unsqueeze(1)], 1);
        }
        Assert.Equal(seq.data<long>().ToArray(), cached.data<long>().ToArray());
    }

    [Fact]
    public void Generation_from_embeds_returns_only_new_tokens_and_matches_ids()
    {
        using var lm = LlamaForCausalLM.FromPretrained(Dir("llama_gqa"));
        using var prompt = torch.tensor(new long[] { 1, 31, 7, 12 }).unsqueeze(0);
        using var fromIds = lm.Generate(prompt, options: new GreedyOptions { MaxNewTokens = 6, EosTokenIds = [] });
        Tensor embeds;
        using (torch.no_grad()) embeds = lm.model.embed_tokens.forward(prompt);
        using var fromEmbeds = lm.GenerateFromEmbeds(embeds, options: new GreedyOptions { MaxNewTokens = 6, EosTokenIds = [] });
        Assert.Equal(fromIds[.., 4..].data<long>().ToArray(), fromEmbeds.data<long>().ToArray());
    }
}
