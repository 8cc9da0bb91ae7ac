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
