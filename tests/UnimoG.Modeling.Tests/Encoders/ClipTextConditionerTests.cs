using UnimoG.TestSupport;
using TorchSharp;
using UnimoG.Modeling.Encoders;
using static TorchSharp.torch;
using static UnimoG.Modeling.Tests.Encoders.TransformersFixtures;

namespace UnimoG.Modeling.Tests.Encoders;

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
        TensorAssert.Close(expected["last_hidden_state"][..1], cond.HiddenStates, rtol: 0, atol: 1e-5, what: "last_hidden_state");
        using var skipped = conditioner.Encode(["short"], clipSkip: 1);
        using var penultimate = model.text_model.final_layer_norm.forward(expected["hidden_states.1"][..1]);
        TensorAssert.Close(penultimate, skipped.HiddenStates, rtol: 0, atol: 1e-5, what: "clip skip 1");
    }
}
