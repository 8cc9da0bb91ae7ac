using System.Text.Json.Nodes;
using TorchSharp;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Trainer.Tests.Support;
using UnimoG.Engines.Trainer.Training;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Trainer.Tests;

public class ScheduleAndEmaTests
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

    [Fact]
    public void EMA_decay_and_update_match_diffusers_closed_form()
    {
        var warm = new EmaSettings { Decay = 0.999, UseWarmup = true, InvGamma = 1, Power = 2.0 / 3.0 };
        Assert.Equal(0.0, Ema.Decay(1, warm));
        Assert.Equal(1 - Math.Pow(2, -2.0 / 3.0), Ema.Decay(2, warm), 15);
        Assert.Equal(0.999, Ema.Decay(10_000_000, warm));
        var plain = new EmaSettings { Decay = 0.9, UseWarmup = false, UpdateAfterStep = 2, MinDecay = 0.2 };
        Assert.Equal(0.0, Ema.Decay(3, plain));            // k = 0: copy
        Assert.Equal(0.2, Ema.Decay(4, plain), 15);        // (1 + 1) / 11 = 0.18 -> min_decay 0.2
        Assert.Equal(5.0 / 14.0, Ema.Decay(7, plain), 15); // k = 4
        Assert.Equal(0.9, Ema.Decay(1000, plain));

        // the update itself: ema_n = d_n * ema_{n-1} + (1 - d_n) * w_n, with weights we set
        var config = ConfigJson.Parse<UNet2DConditionConfig>(TinyWorld.UNetConfigJson, "tiny");
        using var unet = new UNet2DConditionModel(config);
        var settings = new EmaSettings { Decay = 0.99, UseWarmup = true, InvGamma = 1, Power = 0.75 };
        using var ema = new Ema(unet, settings);
        var p = unet.named_parameters().First(x => x.name.EndsWith("to_q.weight")).parameter;
        double expected;
        using (no_grad()) { p.fill_(2.0); }
        expected = p[0, 0].item<float>();
        float[] values = [3.0f, -1.0f, 0.5f, 7.0f];
        for (var n = 0; n < values.Length; n++)
        {
            using (no_grad()) p.fill_(values[n]);
            ema.Update();
            var d = n == 0 ? 0.0 : 1 - Math.Pow(1 + n, -0.75);   // k = n
            expected = d * expected + (1 - d) * values[n];
        }
        var name = unet.named_parameters().First(x => x.name.EndsWith("to_q.weight")).name;
        var got = ema.Model.state_dict()[name][0, 0].item<float>();
        Assert.Equal(expected, got, 5);
        Assert.Equal(4, ema.OptimizationStep);
    }
}
