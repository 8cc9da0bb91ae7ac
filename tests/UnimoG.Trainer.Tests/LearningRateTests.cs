using System.Text.Json.Nodes;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Training;
using UnimoG.TestSupport;

namespace UnimoG.Trainer.Tests;

/// <summary>The trainer's learning rate per step: the schedule's closed forms over the phases of a run.</summary>
public class LearningRateTests
{
    private static TrainingConfig Config(string schedule, int warmup, double minRatio, params (int Steps, double? Lr)[] phases)
    {
        var json = JsonNode.Parse(TinyWorld.Instance.Config("/tmp/unused"))!.AsObject();
        json["lr_schedule"] = new JsonObject { ["kind"] = schedule, ["warmup_steps"] = warmup, ["min_lr_ratio"] = minRatio };
        json["optimizer"] = new JsonObject { ["learning_rate"] = 5e-5 };
        var list = new JsonArray();
        foreach (var (steps, lr) in phases)
        {
            var p = new JsonObject { ["data"] = new JsonObject { ["path"] = TinyWorld.Instance.Stage1Data }, ["steps"] = steps, ["resolution"] = 16 };
            if (lr is { } v) p["learning_rate"] = v;
            list.Add(p);
        }
        json["phases"] = list;
        return TinyWorld.Parse(json.ToJsonString());
    }

    [Fact]
    public void Constant_with_warmup_matches_the_closed_form()
    {
        var lr = new LearningRate(Config("constant", 10, 0, (100, null)));
        for (var s = 0; s < 100; s++)
            Assert.Equal(5e-5 * Math.Min(1.0, s / 10.0), lr.At(s), 15);
        Assert.Equal(0.0, lr.At(0));      // diffusers' LambdaLR: the first step runs at factor 0/warmup
    }

    [Fact]
    public void Cosine_matches_the_closed_form_and_phases_take_their_own_rate()
    {
        // the paper's curriculum shape: phases with their own rates; warm-up 20 steps inside the first
        var lr = new LearningRate(Config("cosine", 20, 0.1, (100, 1e-4), (50, null), (40, 1e-5)));
        double Cos(double p) => 0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * p));
        for (var s = 0; s < 100; s++)
        {
            var expected = s < 20 ? 1e-4 * (s / 20.0) * Cos(0) : 1e-4 * Cos((s - 20) / 80.0);
            Assert.Equal(expected, lr.At(s), 15);
        }
        for (var s = 100; s < 150; s++) Assert.Equal(5e-5 * Cos((s - 100) / 50.0), lr.At(s), 15);
        for (var s = 150; s < 190; s++) Assert.Equal(1e-5 * Cos((s - 150) / 40.0), lr.At(s), 15);
        Assert.Equal(1e-4 * Cos(0), lr.At(20), 15);
    }
}
