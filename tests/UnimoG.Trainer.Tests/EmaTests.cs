using UnimoG.Data.Config;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Training;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using UnimoG.TestSupport;
using static TorchSharp.torch;

namespace UnimoG.Trainer.Tests;

/// <summary>The exponential moving average of the U-Net's weights: diffusers' decay schedule and update.</summary>
public class EmaTests
{
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
