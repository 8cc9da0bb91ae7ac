using UnimoG.Modeling;
using UnimoG.Modeling.Diffusion;
using UnimoG.Engines.Trainer.Config;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Training;

/// <summary>
/// An exponential moving average of the U-Net's weights, as diffusers' <c>EMAModel.step</c>: after optimizer step
/// number n (1-based), with k = n - update_after_step - 1,
/// <code>
/// decay = 0                                         if k &lt;= 0
///       = 1 - (1 + k / inv_gamma)^(-power)          with use_ema_warmup
///       = (1 + k) / (10 + k)                        otherwise
/// decay = clamp(decay, min_decay, decay_max)
/// ema  += (1 - decay) * (weight - ema)          (lerp)
/// </code>
/// Buffers are copied. The EMA copy serves the sample images and the exported weights.
/// </summary>
public sealed class Ema : IDisposable
{
    private readonly EmaSettings _settings;
    private readonly (Tensor Ema, Tensor Weight)[] _pairs;

    public UNet2DConditionModel Model { get; }
    /// <summary>How many optimizer steps the average has seen (diffusers' <c>optimization_step</c>).</summary>
    public long OptimizationStep { get; set; }

    public Ema(UNet2DConditionModel source, EmaSettings settings)
    {
        _settings = settings;
        // The average stays float32 whatever the training precision (diffusers' EMAModel keeps fp32 shadow weights).
        using (new ModelPlacement(source.parameters().First().device, ScalarType.Float32).Use())
            Model = new UNet2DConditionModel(source.Config);
        Model.eval();
        var weights = source.state_dict();
        using (no_grad())
            foreach (var (name, t) in Model.state_dict())
            {
                t.copy_(weights[name]);
                t.requires_grad = false;
            }
        var target = Model.state_dict();
        _pairs = [.. source.named_parameters().Select(p => (target[p.name], (Tensor)p.parameter))];
    }

    public static double Decay(long optimizationStep, EmaSettings s)
    {
        var k = optimizationStep - s.UpdateAfterStep - 1;
        if (k <= 0) return 0.0;
        var d = s.UseWarmup ? 1 - Math.Pow(1 + k / s.InvGamma, -s.Power) : (1.0 + k) / (10.0 + k);
        return Math.Max(Math.Min(d, s.Decay), s.MinDecay);
    }

    /// <summary>One update after an optimizer step.</summary>
    public void Update()
    {
        OptimizationStep++;
        var oneMinus = 1 - Decay(OptimizationStep, _settings);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        // ema + (1 - decay) * (weight - ema), in place, one kernel per tensor and no temporaries
        var w = tensor(oneMinus, dtype: ScalarType.Float32, device: _pairs[0].Ema.device);
        foreach (var (ema, weight) in _pairs)
            ema.lerp_(weight, w);
    }

    public void Dispose() => Model.Dispose();
}

/// <summary>Deterministic from-scratch initialisation (PyTorch's defaults, drawn from a seeded generator, not the global one).</summary>
public static class WeightInit
{
    /// <summary>
    /// Weights of rank >= 2 (linear, conv) ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform with a = sqrt(5), as
    /// nn.Linear/nn.Conv2d reset); their biases ~ the same bound; 1-D weights (norms) 1 and their biases 0.
    /// </summary>
    public static void Reset(nn.Module module, long seed)
    {
        var g = new Generator((ulong)seed);
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var _ = no_grad();
        foreach (var (name, p) in parameters)
        {
            if (p.dim() >= 2)
            {
                var bound = 1.0 / Math.Sqrt(p.shape.Skip(1).Aggregate(1L, (a, b) => a * b));
                p.uniform_(-bound, bound, generator: g);
            }
            else if (name.EndsWith("bias", StringComparison.Ordinal)
                && parameters.TryGetValue(name[..^"bias".Length] + "weight", out var w) && w.dim() >= 2)
            {
                var bound = 1.0 / Math.Sqrt(w.shape.Skip(1).Aggregate(1L, (a, b) => a * b));
                p.uniform_(-bound, bound, generator: g);
            }
            else if (name.EndsWith("weight", StringComparison.Ordinal)) p.fill_(1.0);
            else p.zero_();
        }
    }
}
