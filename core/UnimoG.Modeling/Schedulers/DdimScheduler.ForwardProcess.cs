using static TorchSharp.torch;

namespace UnimoG.Modeling.Schedulers;

/// <summary>The forward (noising) process of the DDIM schedule, for training and image-to-image.</summary>
public sealed partial class DdimScheduler
{
    /// <summary>Forward process q(x_t | x_0): sqrt(alpha_t) * x_0 + sqrt(1 - alpha_t) * noise, per timestep row.</summary>
    public Tensor AddNoise(Tensor originalSamples, Tensor noise, Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var (sqrtAlpha, sqrtOneMinusAlpha) = NoiseLevels(timesteps, originalSamples);
        return (sqrtAlpha * originalSamples + sqrtOneMinusAlpha * noise).MoveToOuterDisposeScope();
    }

    /// <summary>The v-prediction target (Imagen Video, 2.4): sqrt(alpha_t) * noise - sqrt(1 - alpha_t) * x_0.</summary>
    public Tensor GetVelocity(Tensor sample, Tensor noise, Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var (sqrtAlpha, sqrtOneMinusAlpha) = NoiseLevels(timesteps, sample);
        return (sqrtAlpha * noise - sqrtOneMinusAlpha * sample).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// sqrt(alphas_cumprod[t]) and sqrt(1 - alphas_cumprod[t]) as [B, 1, ..., 1]. diffusers casts
    /// alphas_cumprod to the sample's dtype first and computes in that dtype; we do the same arithmetic in
    /// C# (correctly rounded square roots: libtorch 2.10's float32 sqrt is an ulp off for ~20% of inputs
    /// on this CPU, torch 1.13's reference build is not), rounding to the dtype after each operation.
    /// </summary>
    private (Tensor SqrtAlpha, Tensor SqrtOneMinusAlpha) NoiseLevels(Tensor timesteps, Tensor like)
    {
        var ts = timesteps.to_type(ScalarType.Int64).cpu().flatten().data<long>().ToArray();
        foreach (var t in ts) CheckTimestep(t);
        long[] shape = [ts.Length, .. Enumerable.Repeat(1L, (int)Math.Max(0, like.dim() - 1))];
        Tensor Make(double[] values) => tensor(values).to(like.dtype, like.device).reshape(shape);
        if (like.dtype == ScalarType.Float64)
        {
            var a = ts.Select(t => (double)_alphasCumprod[t]).ToArray();
            return (Make([.. a.Select(Math.Sqrt)]), Make([.. a.Select(v => Math.Sqrt(1.0 - v))]));
        }
        // float32 arithmetic, each result rounded to the sample's dtype (a no-op for float32)
        float[] Round(IEnumerable<float> v)
        {
            var values = v.ToArray();
            if (like.dtype == ScalarType.Float32) return values;
            using var t = tensor(values).to_type(like.dtype).to_type(ScalarType.Float32);
            return t.data<float>().ToArray();
        }
        var alpha = Round(ts.Select(t => _alphasCumprod[t]));
        var sqrtAlpha = Round(alpha.Select(MathF.Sqrt));
        var sqrtOneMinus = Round(Round(alpha.Select(a => 1f - a)).Select(MathF.Sqrt));
        return (Make([.. sqrtAlpha.Select(v => (double)v)]), Make([.. sqrtOneMinus.Select(v => (double)v)]));
    }
}
