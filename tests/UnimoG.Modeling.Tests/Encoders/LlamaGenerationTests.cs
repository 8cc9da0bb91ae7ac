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
        AssertClose(f["logits"], logits, 1e-5, "logits");
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

public class ClipTextConditionerTests
{
    [Fact]
    public void Pads_with_the_end_token_and_matches_transformers_on_the_same_ids()
    {
        // clip_text_eos: 12 positions, start 96, end 97; its fixture row 0 is [96, 17, 45, 9] padded with 97.
        using var model = ClipTextModel.FromPretrained(Dir("clip_text_eos"));
        var conditioner = new ClipTextConditioner(model, text => text == "short" ? [96, 17, 45, 9, 97] : [96, .. Enumerable.Range(3, 20), 97]);
        using var ids = conditioner.TokenIds(["short", "long"]);
        Assert.Equal(new long[] { 96, 17, 45, 9, 97, 97, 97, 97, 97, 97, 97, 97 }, ids[0].data<long>().ToArray());
        Assert.Equal(new long[] { 96, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 97 }, ids[1].data<long>().ToArray()); // truncated, end kept
        using var cond = conditioner.Encode(["short"]);
        var expected = Read("clip_text_eos", "outputs.safetensors");
        AssertClose(expected["last_hidden_state"][..1], cond.HiddenStates, 1e-5, "last_hidden_state");
        using var skipped = conditioner.Encode(["short"], clipSkip: 1);
        using var penultimate = model.text_model.final_layer_norm.forward(expected["hidden_states.1"][..1]);
        AssertClose(penultimate, skipped.HiddenStates, 1e-5, "clip skip 1");
    }
}
