namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// The training noise schedule as diffusers v0.31.0 builds it, bit for bit: float32 where it uses torch
/// float32 tensors, float64 where it uses Python floats. Plain arrays, so one scheduler can be shared by
/// concurrent requests without tensor lifetimes to manage.
/// </summary>
public static class BetaSchedules
{
    public static float[] Betas(DiffusersSchedulerConfig c)
    {
        var n = c.NumTrainTimesteps;
        var betas = c.TrainedBetas is { } tb ? tb.Select(b => (float)b).ToArray() // torch.tensor(list, float32)
            : c.BetaSchedule switch
            {
                "linear" => TorchLinspace(c.BetaStart, c.BetaEnd, n),
                // linspace of the square roots (Python floats), squared in float32: latent diffusion's schedule
                "scaled_linear" => TorchLinspace(Math.Pow(c.BetaStart, 0.5), Math.Pow(c.BetaEnd, 0.5), n).Select(b => b * b).ToArray(),
                "squaredcos_cap_v2" => BetasForAlphaBar(n),
                _ => throw new InvalidDataException($"beta_schedule '{c.BetaSchedule}' is not supported"),
            };
        return c.RescaleBetasZeroSnr ? RescaleZeroTerminalSnr(betas) : betas;
    }

    /// <summary>alphas_cumprod = cumprod(1 - betas): torch's CPU cumprod multiplies in double and stores float32.</summary>
    public static float[] AlphasCumprod(float[] betas)
    {
        var result = new float[betas.Length];
        var acc = 1.0;
        for (var i = 0; i < betas.Length; i++)
        {
            acc *= 1f - betas[i];
            result[i] = (float)acc;
        }
        return result;
    }

    /// <summary>
    /// Glide's cosine schedule (betas_for_alpha_bar, "cosine"): Python float64 maths, capped at 0.999,
    /// then stored as float32.
    /// </summary>
    public static float[] BetasForAlphaBar(int n, double maxBeta = 0.999)
    {
        static double AlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
        var betas = new float[n];
        for (var i = 0; i < n; i++)
        {
            double t1 = (double)i / n, t2 = (double)(i + 1) / n;
            betas[i] = (float)Math.Min(1 - AlphaBar(t2) / AlphaBar(t1), maxBeta);
        }
        return betas;
    }

    /// <summary>
    /// Zero terminal SNR (arXiv:2305.08891, Algorithm 1), in float32 as diffusers' torch code: shift
    /// sqrt(alphas_cumprod) so the last is 0, scale so the first is unchanged, and convert back to betas.
    /// </summary>
    public static float[] RescaleZeroTerminalSnr(float[] betas)
    {
        var n = betas.Length;
        var sqrtBar = AlphasCumprod(betas).Select(MathF.Sqrt).ToArray();
        float first = sqrtBar[0], last = sqrtBar[n - 1];
        var scale = first / (first - last);
        for (var i = 0; i < n; i++) sqrtBar[i] = (sqrtBar[i] - last) * scale;
        var bar = sqrtBar.Select(s => s * s).ToArray();
        var rescaled = new float[n];
        rescaled[0] = 1f - bar[0];
        for (var i = 1; i < n; i++) rescaled[i] = 1f - bar[i] / bar[i - 1];
        return rescaled;
    }

    /// <summary>
    /// torch.linspace(start, end, steps, dtype=float32) as the CPU kernel of the reference build (torch
    /// 1.13, AVX2) computes it: step = (end - start) / (steps - 1) in float32; the first half counts up
    /// from start and the second half down from end with a fused multiply-add; inside each 8-lane vector
    /// (pairs of vectors, then scalars for the tail) lane j adds j*step to the lane-0 value. Matched
    /// torch's output exactly on 305 random (start, end, steps) triples; a naive start + i*step is off
    /// by an ulp in about a quarter of the entries.
    /// </summary>
    public static float[] TorchLinspace(double start, double end, int steps)
    {
        var result = new float[steps];
        if (steps == 1) { result[0] = (float)start; return result; }
        float s = (float)start, e = (float)end;
        var step = (e - s) / (steps - 1);
        var half = steps / 2;
        float Scalar(int i) => i < half ? MathF.FusedMultiplyAdd(step, i, s) : MathF.FusedMultiplyAdd(-step, steps - i - 1, e);
        const int lanes = 8;
        var vectorized = steps / (2 * lanes) * (2 * lanes);
        for (var i0 = 0; i0 < vectorized; i0 += lanes)
        {
            var lane0 = Scalar(i0);
            result[i0] = lane0;
            for (var j = 1; j < lanes; j++) result[i0 + j] = lane0 + j * step;
        }
        for (var i = vectorized; i < steps; i++) result[i] = Scalar(i);
        return result;
    }
}
