using static TorchSharp.torch;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// A run of a sigma-based scheduler: its timesteps, its sigmas (one per step, then the final one, float32 as
/// diffusers stores them) and the noise its stochastic steps draw. Subclasses say how the model input is scaled and how
/// a step moves from sigma_i to sigma_{i+1}.
/// </summary>
public abstract class SigmaRun(IReadOnlyList<double> timesteps, float[] sigmas, NoiseSource? noise) : SchedulerRun
{
    private readonly double[] _sigmas = sigmas.Select(s => (double)s).ToArray();

    public override IReadOnlyList<double> Timesteps { get; } = timesteps;
    public override IReadOnlyList<double>? Sigmas => _sigmas;

    /// <summary>sigma at step <paramref name="i"/> (i = Count is the final one).</summary>
    protected double Sigma(int i) => _sigmas[i];

    /// <summary>Standard normal noise shaped and placed like <paramref name="like"/>, from the request's own source.</summary>
    protected Tensor DrawNoise(Tensor like)
    {
        var source = noise ?? throw new InvalidOperationException("this sampler is stochastic: start its run with the request's noise source");
        using var drawn = source(like.shape);
        if (!drawn.shape.SequenceEqual(like.shape))
            throw new ArgumentException($"the noise source gave [{string.Join(", ", drawn.shape)}] for [{string.Join(", ", like.shape)}]");
        return drawn.to(ScalarType.Float32, like.device);
    }

    /// <summary>Checks the steps asked for; the schedulers' Start methods call it first.</summary>
    public static void CheckSettings(SamplingSettings settings, string sampler)
    {
        if (settings.Steps < 1) throw new ArgumentOutOfRangeException(nameof(settings), $"steps must be >= 1, got {settings.Steps}");
        if (settings.Eta != 0) throw new ArgumentException($"eta is DDIM's: {sampler} does not take it (got {settings.Eta})");
    }
}

/// <summary>The shared step arithmetic: x_0 from the model output at noise level sigma, per prediction type.</summary>
public static class SigmaMath
{
    /// <summary>
    /// The Euler schedulers' x_0 (the sample is x_0 + sigma * eps, unscaled): epsilon x - sigma eps; v-prediction
    /// v * (-sigma / sqrt(sigma^2 + 1)) + x / (sigma^2 + 1); sample the output itself.
    /// </summary>
    public static Tensor EulerOriginal(string predictionType, Tensor modelOutput, Tensor sample, double sigma) => predictionType switch
    {
        "epsilon" => sample - modelOutput * sigma,
        "v_prediction" => modelOutput * (-sigma / Math.Sqrt(sigma * sigma + 1)) + sample / (sigma * sigma + 1),
        "sample" => modelOutput.alias(),
        _ => throw new InvalidDataException($"prediction_type '{predictionType}' is not supported"),
    };

    /// <summary>
    /// The data prediction of the VP solvers (DPM-Solver++, UniPC with predict_x0; the sample is alpha_t x_0 +
    /// sigma_t eps): epsilon (x - sigma_t eps) / alpha_t; v-prediction alpha_t x - sigma_t v; sample the output itself.
    /// </summary>
    public static Tensor DataPrediction(string predictionType, Tensor modelOutput, Tensor sample, double sigma)
    {
        var (alpha, sigmaT) = NoiseLevels.AlphaSigma(sigma);
        return predictionType switch
        {
            "epsilon" => (sample - modelOutput * sigmaT) / alpha,
            "v_prediction" => sample * alpha - modelOutput * sigmaT,
            "sample" => modelOutput.alias(),
            _ => throw new InvalidDataException($"prediction_type '{predictionType}' is not supported"),
        };
    }
}
