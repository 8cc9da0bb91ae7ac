using static TorchSharp.torch;

namespace UnimoG.Modeling.Sampling;

/// <summary>
/// Classifier-free guidance (Ho &amp; Salimans, 2022): eps_uncond + s * (eps_cond - eps_uncond) in float32, in that
/// order, as diffusers' pipelines combine it. <see cref="GuidedStep"/> batches the two branches.
/// </summary>
public static class Guidance
{
    /// <summary>eps_uncond + scale * (eps_cond - eps_uncond), one scale for every row.</summary>
    public static Tensor Combine(Tensor uncond, Tensor cond, double scale) =>
        Combine(uncond, cond, Enumerable.Repeat(scale, (int)uncond.shape[0]).ToArray());

    /// <summary>The same with one scale per batch row (requests batched together keep their own scale).</summary>
    public static Tensor Combine(Tensor uncond, Tensor cond, IReadOnlyList<double> scales)
    {
        if (scales.Count != uncond.shape[0])
            throw new ArgumentException($"{scales.Count} guidance scales for a batch of {uncond.shape[0]}");
        using var scope = NewDisposeScope();
        long[] shape = [scales.Count, .. Enumerable.Repeat(1L, (int)uncond.dim() - 1)];
        var s = tensor(scales.Select(v => (float)v).ToArray()).to(uncond.dtype, uncond.device).reshape(shape);
        return (uncond + s * (cond - uncond)).MoveToOuterDisposeScope();
    }
}
