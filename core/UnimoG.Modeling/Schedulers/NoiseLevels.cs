namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// The training schedule as the sigma-based schedulers (Euler, DPM-Solver, UniPC) see it, built once per scheduler and
/// shared by its runs: alphas_cumprod as diffusers builds it (float32), sigma_t = sqrt((1 - alpha_t) / alpha_t) in
/// float32 (Karras et al. 2022, eq. 1 of the EDM paper's VP mapping) and its log, and the helpers their
/// <c>set_timesteps</c> share: numpy's <c>interp</c>, the Karras ramp and <c>_sigma_to_t</c>.
/// </summary>
public sealed class NoiseLevels
{
    public float[] AlphasCumprod { get; }
    /// <summary>sigma per training timestep, smallest (t = 0) first.</summary>
    public float[] Sigmas { get; }
    /// <summary>np.log of the float32 sigmas (float32, as numpy computes it).</summary>
    public float[] LogSigmas { get; }

    public NoiseLevels(DiffusersSchedulerConfig config)
    {
        AlphasCumprod = BetaSchedules.AlphasCumprod(BetaSchedules.Betas(config));
        // Zero terminal SNR: "close to 0 without being 0 so the first sigma is not inf" (fp16's smallest subnormal).
        if (config.RescaleBetasZeroSnr) AlphasCumprod[^1] = MathF.Pow(2, -24);
        Sigmas = AlphasCumprod.Select(a => MathF.Sqrt((1f - a) / a)).ToArray();
        LogSigmas = Sigmas.Select(s => MathF.Log(s)).ToArray();
    }

    /// <summary>np.interp(x, arange(T), sigmas): float64 linear interpolation between the two neighbouring timesteps.</summary>
    public double Interp(double t)
    {
        if (t <= 0) return Sigmas[0];
        if (t >= Sigmas.Length - 1) return Sigmas[^1];
        var j = (int)Math.Floor(t);
        var slope = (double)Sigmas[j + 1] - Sigmas[j];
        return slope * (t - j) + Sigmas[j];
    }

    /// <summary>
    /// The Karras et al. (2022) schedule, eq. (5): (max^(1/rho) + ramp (min^(1/rho) - max^(1/rho)))^rho over
    /// <paramref name="n"/> points from <paramref name="max"/> down to <paramref name="min"/>, rho = 7, ramp = linspace(0, 1, n).
    /// </summary>
    public static double[] Karras(int n, double min, double max)
    {
        const double rho = 7.0;
        double minInv = Math.Pow(min, 1 / rho), maxInv = Math.Pow(max, 1 / rho);
        var sigmas = new double[n];
        for (var i = 0; i < n; i++)
        {
            var ramp = n > 1 ? (i == n - 1 ? 1.0 : i * (1.0 / (n - 1))) : 0.0;
            sigmas[i] = Math.Pow(maxInv + ramp * (minInv - maxInv), rho);
        }
        return sigmas;
    }

    /// <summary>
    /// diffusers' <c>_sigma_to_t</c>: the fractional training timestep whose log-sigma <paramref name="sigma"/> has, by
    /// linear interpolation in log space between the two neighbouring timesteps. numpy 1.x subtracts the float64
    /// log-sigma from the float32 table in float32, which picks the neighbours; the weight is float64.
    /// </summary>
    public double SigmaToT(double sigma)
    {
        var logSigma = Math.Log(Math.Max(sigma, 1e-10));
        var logSigma32 = (float)logSigma;
        // argmax(cumsum(dists >= 0)) is the last index whose log-sigma is <= log_sigma (0 when none is), at most T - 2
        var low = 0;
        for (var i = 0; i < LogSigmas.Length; i++)
            if (logSigma32 - LogSigmas[i] >= 0) low = i;
        low = Math.Min(low, LogSigmas.Length - 2);
        double lo = LogSigmas[low], hi = LogSigmas[low + 1];
        var w = Math.Clamp((lo - logSigma) / (lo - hi), 0, 1);
        return (1 - w) * low + w * (low + 1);
    }

    /// <summary>
    /// The multistep solvers' sigmas for <paramref name="timesteps"/>: interpolated at them, or Karras' over
    /// <paramref name="n"/> points with the timesteps they round to; then the final sigma (0, or the smallest).
    /// </summary>
    public (double[] Timesteps, float[] Sigmas) Multistep(long[] timesteps, int n, bool karras, string finalSigmasType)
    {
        double[] sigmas;
        if (karras)
        {
            sigmas = Karras(n, Sigmas[0], Sigmas[^1]);
            timesteps = sigmas.Select(s => TimestepSpacing.RoundHalfEven(SigmaToT(s))).ToArray();
        }
        else sigmas = timesteps.Select(t => Interp(t)).ToArray();
        var last = finalSigmasType == "sigma_min" ? Sigmas[0] : 0f;
        return (timesteps.Select(t => (double)t).ToArray(), [.. sigmas.Select(s => (float)s), last]);
    }

    /// <summary>alpha_t = 1 / sqrt(sigma^2 + 1), sigma_t = sigma alpha_t (the VP process at noise level sigma).</summary>
    public static (double Alpha, double Sigma) AlphaSigma(double sigma)
    {
        var alpha = 1 / Math.Sqrt(sigma * sigma + 1);
        return (alpha, sigma * alpha);
    }

    /// <summary>lambda = log(alpha_t) - log(sigma_t), the half log-SNR DPM-Solver and UniPC step in (+inf at sigma 0).</summary>
    public static double Lambda(double sigma)
    {
        var (a, s) = AlphaSigma(sigma);
        return Math.Log(a) - Math.Log(s);
    }
}
