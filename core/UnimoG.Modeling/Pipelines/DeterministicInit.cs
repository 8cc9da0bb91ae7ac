using static TorchSharp.torch;

namespace UnimoG.Modeling.Pipelines;

/// <summary>
/// Re-draws every parameter of a module from one <see cref="Generator"/>, in the order of the parameter names,
/// so an untrained model is a pure function of its seed (module constructors draw from the global generator,
/// which other threads may touch). The rules follow PyTorch's layer defaults closely enough for a forward
/// pass to stay in range: biases 0, norm scales 1, embeddings and learned queries N(0, 0.02), every other
/// weight U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
/// </summary>
public static class DeterministicInit
{
    public static void Apply(nn.Module module, Generator generator)
    {
        using var noGrad = no_grad();
        foreach (var (name, p) in module.named_parameters().OrderBy(x => x.name, StringComparer.Ordinal))
        {
            using var scope = NewDisposeScope();
            var shape = p.shape;
            Tensor value;
            if (name.EndsWith("bias", StringComparison.Ordinal))
                value = zeros(shape);
            else if (IsEmbedding(name))
                value = randn(shape, generator: generator) * 0.02;
            else if (p.dim() == 1)
                value = ones(shape); // GroupNorm / LayerNorm / RMSNorm scales
            else
            {
                var bound = 1.0 / Math.Sqrt(p.numel() / shape[0]);
                value = rand(shape, generator: generator) * (2 * bound) - bound;
            }
            p.copy_(value.to_type(p.dtype));
        }
    }

    private static bool IsEmbedding(string name) =>
        name.Contains("embed_tokens", StringComparison.Ordinal) || name.Contains("token_embedding", StringComparison.Ordinal)
        || name.Contains("position_embedding", StringComparison.Ordinal) || name.Contains("class_embedding", StringComparison.Ordinal)
        || name.Contains("query_tokens", StringComparison.Ordinal) || name.Contains("position_embeddings", StringComparison.Ordinal);
}
