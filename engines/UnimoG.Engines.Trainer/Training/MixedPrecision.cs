using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Modeling;
using UnimoG.Modeling.Diffusion;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Training;

/// <summary>
/// Mixed precision without autocast (TorchSharp 0.107 has none): the optimizer, the EMA, clipping and checkpoints see
/// the float32 master U-Net; forward and backward run on a bfloat16 copy of it. Each optimizer step the master's weights
/// are copied into the copy (<see cref="Sync"/>); after each micro-batch's backward its gradients are added into the
/// master's float32 gradients and cleared (<see cref="Accumulate"/>), so accumulation happens in float32 and clipping
/// measures the float32 norm. This is what diffusers' scripts get from accelerate with mixed_precision="bf16" (fp32
/// weights, a bf16 forward, the loss in fp32), done by hand; no loss scaling, as bfloat16 has float32's range.
/// With float32 training there is no copy: <see cref="Model"/> is the master and the two steps do nothing.
/// </summary>
public sealed class MixedPrecision : IDisposable
{
    private readonly UNet2DConditionModel _master;
    private readonly UNet2DConditionModel? _compute;
    private readonly (Parameter Master, Parameter Compute)[] _pairs = [];

    public MixedPrecision(UNet2DConditionModel master, string precision)
    {
        _master = master;
        if (precision != "bf16") return;
        var weight = master.parameters().First();
        using (new ModelPlacement(weight.device, ScalarType.BFloat16).Use())
            _compute = new UNet2DConditionModel(master.Config);
        _compute.train();
        var compute = _compute.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        _pairs = [.. master.named_parameters().Select(p => (p.parameter, compute[p.name]))];
        foreach (var (_, c) in _pairs) c.requires_grad = true;
    }

    /// <summary>The module to run forward and backward on.</summary>
    public UNet2DConditionModel Model => _compute ?? _master;

    public bool Enabled => _compute is not null;

    /// <summary>Copies the master's weights into the bfloat16 copy (before the step's forwards).</summary>
    public void Sync()
    {
        if (_compute is null) return;
        using var _ = no_grad();
        foreach (var (m, c) in _pairs) c.copy_(m);
    }

    /// <summary>Adds the copy's gradients into the master's (float32), then clears the copy's.</summary>
    public void Accumulate()
    {
        if (_compute is null) return;
        using var _ = no_grad();
        foreach (var (m, c) in _pairs)
        {
            if (c.grad is not { } g) continue;
            using var g32 = g.to_type(ScalarType.Float32);
            if (m.grad is { } mg) mg.add_(g32);
            else m.grad = g32.clone();
            g.zero_();
        }
    }

    public void Dispose() => _compute?.Dispose();
}
