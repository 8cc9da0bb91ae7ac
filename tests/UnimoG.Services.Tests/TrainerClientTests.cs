using UnimoG.Hosting;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Engines.Inference;
using UnimoG.Text.Prompts;
using UnimoG.Services.Tests.Support;
using UnimoG.TestSupport;
using UnimoG.Engines.Trainer.Conditions;
using UnimoG.Engines.Trainer.Data;

namespace UnimoG.Services.Tests;

/// <summary>The trainer's Encoder-service client (EncodeMany) against the real Encoder service.</summary>
[Collection("cluster")]
public sealed class TrainerClientTests(ClusterFixture fixture)
{
    [Fact]
    public void Encode_many_gives_the_engines_conditions_including_the_unconditional_one()
    {
        var engine = fixture.Cluster.Encoder.Services.GetRequiredService<ModelSlot<EncoderEngine>>().Value;
        using var remote = EncoderServiceConditions.ForAddress(fixture.Cluster.EncoderAddress, requestBatch: 2);
        Assert.Equal(64, remote.Width);
        string[] captions = ["a dog wearing a top hat", "一只戴着礼帽的狗", "a cat"];
        using var got = remote.Encode(captions.Select((c, i) => new ConditionRequest($"k{i}", [new PromptPiece.Text(c)])).ToList());
        for (var i = 0; i < captions.Length; i++)
        {
            using var alone = engine.Encode(MultimodalPrompt.FromText(captions[i], [])).Condition;
            var length = (int)alone.Length;
            TensorAssert.Identical(alone.HiddenStates[0], got.HiddenStates[i, ..length], $"row {i}");
            Assert.Equal(length, got.AttentionMask![i].sum().item<long>());
        }
        using var u1 = remote.Unconditional();
        using var u2 = engine.EncodeUnconditional().Condition;
        TensorAssert.Identical(u2.HiddenStates, u1.HiddenStates, "unconditional");
        Assert.Equal([1L, 1, 64], u1.HiddenStates.shape);
    }
}
