using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace UnimoG.Mini.Training;

/// <summary>AdamW as nanoGPT sets it up: weight decay on matrices and kernels only (not on biases, norms, embeddings' 1-d parts).</summary>
public static class Optimizers
{
    /// <remarks>TorchSharp's AdamW defaults to no weight decay (PyTorch's is 0.01), so it is always passed.</remarks>
    public static AdamW AdamW(nn.Module module, double lr, double weightDecay, double beta2 = 0.99)
    {
        var parameters = module.parameters().Where(p => p.requires_grad).ToList();
        var decay = parameters.Where(p => p.dim() >= 2).ToList();
        var plain = parameters.Where(p => p.dim() < 2).ToList();
        return optim.AdamW(
        [
            new AdamW.ParamGroup(decay, lr: lr, beta2: beta2, weight_decay: weightDecay),
            new AdamW.ParamGroup(plain, lr: lr, beta2: beta2, weight_decay: 0),
        ], lr: lr, beta2: beta2, weight_decay: weightDecay);
    }

    /// <summary>
    /// PyTorch's default initialisation, drawn from <paramref name="generator"/> (TorchSharp's layers draw theirs from
    /// the global generator, so a run would not follow its seed): convolution and linear weights and biases uniform in
    /// ±1/sqrt(fan_in) (kaiming_uniform with a = sqrt(5)), norms 1 and 0, embeddings N(0, 1).
    /// </summary>
    public static void InitDefault(nn.Module module, Generator generator)
    {
        using var _ = torch.no_grad();
        foreach (var (_, m) in module.named_modules())
        {
            switch (m)
            {
                case Conv2d or Linear:
                    var weight = m.named_parameters(recurse: false).First(p => p.name == "weight").parameter;
                    var bound = 1.0 / Math.Sqrt(weight.shape[1] * weight.shape.Skip(2).Aggregate(1L, (a, b) => a * b));
                    foreach (var (_, p) in m.named_parameters(recurse: false)) p.uniform_(-bound, bound, generator);
                    break;
                case GroupNorm or LayerNorm:
                    foreach (var (name, p) in m.named_parameters(recurse: false)) { if (name == "weight") p.fill_(1.0); else p.zero_(); }
                    break;
                case Embedding:
                    foreach (var (_, p) in m.named_parameters(recurse: false)) p.normal_(0, 1, generator);
                    break;
            }
        }
    }

    /// <summary>
    /// Initialises transformer weights as transformers' <c>_init_weights</c> (std 0.02 normal for linear and
    /// embedding weights, zero biases, unit norms); TorchSharp's defaults (PyTorch's Kaiming-uniform, N(0, 1)
    /// embeddings) suit convolutions but give transformers and their tied embeddings far too large a scale.
    /// </summary>
    public static void InitTransformer(nn.Module module, Generator generator, double std = 0.02)
    {
        using var _ = torch.no_grad();
        foreach (var (name, p) in module.named_parameters())
        {
            var leaf = name[(name.LastIndexOf('.') + 1)..];
            var isNorm = name.Contains("norm", StringComparison.OrdinalIgnoreCase) || name.Contains("LayerNorm", StringComparison.Ordinal) || name.EndsWith("layrnorm.weight", StringComparison.Ordinal) || name.EndsWith("layrnorm.bias", StringComparison.Ordinal);
            if (isNorm) { if (leaf == "weight") p.fill_(1.0); else p.zero_(); }
            else if (leaf == "bias") p.zero_();
            else p.normal_(0, std, generator);
        }
    }
}
