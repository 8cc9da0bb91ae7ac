using static TorchSharp.torch;

namespace UnimoG.Modeling.Sampling;

/// <summary>
/// Classifier-free guidance (Ho &amp; Salimans, 2022) as diffusers' pipelines do it: the unconditional (or
/// negative) and the conditional branch go through the denoiser as ONE batch, [uncond rows; cond rows],
/// and combine as eps_uncond + s * (eps_cond - eps_uncond), in float32 in that order.
/// </summary>
public static class Guidance
{
    /// <summary>eps_uncond + scale * (eps_cond - eps_uncond).</summary>
    public static Tensor Combine(Tensor uncond, Tensor cond, double scale)
    {
        using var scope = NewDisposeScope();
        return (uncond + scale * (cond - uncond)).MoveToOuterDisposeScope();
    }

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

    /// <summary>Guided model output for a batch at one shared guidance scale.</summary>
    public static Tensor Predict(Denoiser model, Tensor sample, Tensor timesteps, Conditioning cond, Conditioning uncond, double scale) =>
        Predict(model, sample, timesteps, cond, uncond, Enumerable.Repeat(scale, (int)sample.shape[0]).ToArray());

    /// <summary>
    /// Guided model output for <paramref name="sample"/> [B, ...] at <paramref name="timesteps"/> [B]:
    /// one denoiser call on [2B] rows; <paramref name="uncond"/> (empty or negative prompt) has B rows, or
    /// one row shared by all. Conditionings of different lengths are padded with a key mask.
    /// </summary>
    public static Tensor Predict(Denoiser model, Tensor sample, Tensor timesteps, Conditioning cond, Conditioning uncond, IReadOnlyList<double> scales)
    {
        var batch = sample.shape[0];
        if (cond.BatchSize != batch) throw new ArgumentException($"the condition has {cond.BatchSize} rows for a batch of {batch}");
        if (uncond.BatchSize != batch && uncond.BatchSize != 1)
            throw new ArgumentException($"the unconditional/negative condition has {uncond.BatchSize} rows for a batch of {batch} (give 1 or {batch})");
        using var scope = NewDisposeScope();
        using var expanded = uncond.BatchSize == batch ? null : uncond.RepeatRows((int)batch);
        using var both = Conditioning.Concat(expanded ?? uncond, cond);
        var output = model(cat([sample, sample], 0), cat([timesteps, timesteps], 0), both);  // [2B, ...]
        var chunks = output.chunk(2, 0);
        return Combine(chunks[0], chunks[1], scales).MoveToOuterDisposeScope();
    }
}
