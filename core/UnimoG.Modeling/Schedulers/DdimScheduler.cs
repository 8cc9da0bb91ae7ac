using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Schedulers;

/// <summary>What one DDIM step returns: x_{t-1} and the predicted x_0 (the preview material).</summary>
public sealed record DdimStepOutput(Tensor PrevSample, Tensor PredOriginalSample) : IDisposable
{
    public void Dispose()
    {
        PrevSample.Dispose();
        PredOriginalSample.Dispose();
    }
}

/// <summary>
/// Consecutive batch rows that belong to one request in a batched <see cref="DdimScheduler.Step(Tensor, Tensor, IReadOnlyList{DdimSegment}, bool)"/>:
/// they sit at <paramref name="Timestep"/> of a <paramref name="NumInferenceSteps"/>-step schedule, and with
/// eta > 0 draw their variance noise ([Rows, ...]) from their own generator, or take it given.
/// </summary>
public sealed record DdimSegment(int Rows, long Timestep, int NumInferenceSteps, double Eta = 0, Generator? Generator = null, Tensor? VarianceNoise = null);

/// <summary>
/// diffusers v0.31.0's <c>DDIMScheduler</c> (Song et al., arXiv:2010.02502), same numbers: float32 where
/// diffusers computes on float32 tensors, the same order of operations, the same quirks (the previous
/// timestep is always t - T // n, whatever the spacing; a negative one uses <see cref="FinalAlphaCumprod"/>).
/// <para>
/// Two ways to use it. The diffusers contract: <see cref="SetTimesteps"/> then
/// <see cref="Step(Tensor, long, Tensor, double, Generator?, Tensor?, bool)"/> (stateful, one loop per
/// instance). The stateless one, for a scheduler shared by concurrent requests and for dynamic batching:
/// <see cref="TimestepsFor"/> and the segment <see cref="Step(Tensor, Tensor, IReadOnlyList{DdimSegment}, bool)"/>,
/// where each request's rows carry their own timestep, step count, eta and generator. A row stepped in a
/// batch equals the same row stepped alone, bit for bit: every coefficient is computed per row exactly as
/// for a single request and applied element-wise.
/// </para>
/// </summary>
public sealed partial class DdimScheduler
{
    private readonly float[] _betas;
    private readonly float[] _alphasCumprod;

    public DdimSchedulerConfig Config { get; }
    public IReadOnlyList<float> Betas => _betas;
    /// <summary>alphas_cumprod[t] = prod_{s &lt;= t} (1 - beta_s): the paper's alpha_t.</summary>
    public IReadOnlyList<float> AlphasCumprod => _alphasCumprod;
    /// <summary>alpha for the step past t = 0: 1 with set_alpha_to_one, else alphas_cumprod[0].</summary>
    public float FinalAlphaCumprod { get; }
    /// <summary>Standard deviation of the initial noise: 1 for DDIM.</summary>
    public double InitNoiseSigma => 1.0;

    /// <summary>Set by <see cref="SetTimesteps"/>; null before (diffusers' num_inference_steps).</summary>
    public int? NumInferenceSteps { get; private set; }
    /// <summary>The current schedule, largest first; all training timesteps until <see cref="SetTimesteps"/>.</summary>
    public IReadOnlyList<long> Timesteps { get; private set; }

    public DdimScheduler(DdimSchedulerConfig config)
    {
        config.Validate(new ConfigLocation("scheduler config"));
        Config = config;
        _betas = BetaSchedules.Betas(config);
        _alphasCumprod = BetaSchedules.AlphasCumprod(_betas);
        FinalAlphaCumprod = config.SetAlphaToOne ? 1f : _alphasCumprod[0];
        Timesteps = Enumerable.Range(0, config.NumTrainTimesteps).Reverse().Select(t => (long)t).ToArray();
    }

    /// <summary>From a scheduler folder, a pipeline folder (its <c>scheduler/</c>) or the JSON file.</summary>
    public static DdimScheduler Load(string path) => new(DdimSchedulerConfig.Load(path));

    public void SetTimesteps(int numInferenceSteps)
    {
        Timesteps = TimestepsFor(numInferenceSteps);
        NumInferenceSteps = numInferenceSteps;
    }

    /// <summary>The schedule <see cref="SetTimesteps"/> would set, without changing this instance.</summary>
    public long[] TimestepsFor(int numInferenceSteps) => TimestepSpacing.Timesteps(Config, numInferenceSteps);

    /// <summary>DDIM does not scale its input: returns <paramref name="sample"/> itself.</summary>
    public Tensor ScaleModelInput(Tensor sample, long timestep) => sample;

    /// <summary>One step of the whole batch at <paramref name="timestep"/>, after <see cref="SetTimesteps"/>.</summary>
    public DdimStepOutput Step(Tensor modelOutput, long timestep, Tensor sample, double eta = 0, Generator? generator = null,
        Tensor? varianceNoise = null, bool useClippedModelOutput = false)
    {
        var n = NumInferenceSteps ?? throw new InvalidOperationException(
            "Number of inference steps is not set: call SetTimesteps before Step");
        return Step(modelOutput, sample, [new DdimSegment((int)sample.shape[0], timestep, n, eta, generator, varianceNoise)], useClippedModelOutput);
    }

    /// <summary>
    /// One step of a batch whose consecutive row groups (<paramref name="segments"/>) may each be at their own
    /// timestep of their own schedule. See formulas (12) and (16) of the DDIM paper.
    /// </summary>
    public DdimStepOutput Step(Tensor modelOutput, Tensor sample, IReadOnlyList<DdimSegment> segments, bool useClippedModelOutput = false)
    {
        if (!modelOutput.shape.SequenceEqual(sample.shape))
            throw new ArgumentException($"model_output shape [{string.Join(", ", modelOutput.shape)}] differs from sample shape [{string.Join(", ", sample.shape)}]");
        if (sample.dim() < 1 || segments.Sum(s => (long)s.Rows) != sample.shape[0])
            throw new ArgumentException($"the segments cover {segments.Sum(s => (long)s.Rows)} rows but the batch has {(sample.dim() < 1 ? 0 : sample.shape[0])}");

        using var scope = NewDisposeScope();
        var rows = segments.SelectMany(s => Enumerable.Repeat(Coefficients(s), s.Rows)).ToArray();
        Tensor Column(Func<StepCoefficients, float> pick) => PerRow(rows.Select(pick).ToArray(), sample);

        // 1-2. alpha_t, alpha_{t-1} (the previous timestep is t - T // n), beta_t = 1 - alpha_t, per row
        var sqrtAlpha = Column(r => r.SqrtAlphaProdT);
        var sqrtBeta = Column(r => r.SqrtBetaProdT);

        // 3. "predicted x_0" of formula (12), and the epsilon it implies
        Tensor predOriginal, predEpsilon;
        switch (Config.PredictionType)
        {
            case "epsilon":
                predOriginal = (sample - sqrtBeta * modelOutput) / sqrtAlpha;
                predEpsilon = modelOutput;
                break;
            case "sample":
                predOriginal = modelOutput;
                predEpsilon = (sample - sqrtAlpha * predOriginal) / sqrtBeta;
                break;
            case "v_prediction":
                predOriginal = sqrtAlpha * sample - sqrtBeta * modelOutput;
                predEpsilon = sqrtAlpha * modelOutput + sqrtBeta * sample;
                break;
            default:
                throw new InvalidDataException($"prediction_type '{Config.PredictionType}' is not supported");
        }

        // 4. clip or threshold "predicted x_0"
        if (Config.Thresholding)
            predOriginal = Thresholds.Dynamic(predOriginal, Config.DynamicThresholdingRatio, Config.SampleMaxValue);
        else if (Config.ClipSample)
            predOriginal = predOriginal.clamp(-Config.ClipSampleRange, Config.ClipSampleRange);

        // 5. sigma_t(eta) of formula (16) is in the coefficients; Glide re-derives epsilon from the clipped x_0
        if (useClippedModelOutput)
            predEpsilon = (sample - sqrtAlpha * predOriginal) / sqrtBeta;

        // 6. "direction pointing to x_t" of formula (12): sqrt(1 - alpha_{t-1} - sigma_t^2) * epsilon
        var direction = Column(r => r.DirectionScale) * predEpsilon;

        // 7. x_{t-1} without the random noise of formula (12), then sigma_t * z where eta > 0
        var prev = Column(r => r.SqrtAlphaProdTPrev) * predOriginal + direction;
        if (segments.Any(s => s.Eta > 0))
            prev = AddVarianceNoise(prev, modelOutput, segments);

        // (with prediction_type "sample" and no clipping, x_0 is the model output itself: hand out an alias)
        return new DdimStepOutput(prev.MoveToOuterDisposeScope(),
            (ReferenceEquals(predOriginal, modelOutput) ? modelOutput.alias() : predOriginal).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The scalar coefficients of one row, in diffusers' float32 arithmetic and order (its 0-dim float32
    /// tensors). Computed in C#, whose square roots are correctly rounded like the reference build's;
    /// libtorch 2.10's float32 sqrt is an ulp off for ~20% of inputs on this CPU.
    /// </summary>
    private readonly record struct StepCoefficients(float SqrtAlphaProdT, float SqrtBetaProdT, float SqrtAlphaProdTPrev, float DirectionScale, float StdDev);

    private StepCoefficients Coefficients(DdimSegment s)
    {
        if (s.Rows < 1) throw new ArgumentOutOfRangeException(nameof(s), $"a segment needs at least one row, got {s.Rows}");
        if (s.NumInferenceSteps < 1) throw new ArgumentOutOfRangeException(nameof(s), $"num_inference_steps must be >= 1, got {s.NumInferenceSteps}");
        CheckTimestep(s.Timestep);
        if (s.Eta > 0 && s.Generator is not null && s.VarianceNoise is not null)
            throw new ArgumentException("Cannot pass both generator and variance_noise: one of them must stay null");
        if (s.Eta > 0 && s.Generator is null && s.VarianceNoise is null)
            throw new ArgumentException("eta > 0 needs a generator or variance_noise (we never draw from the global RNG)");

        var prevTimestep = s.Timestep - Config.NumTrainTimesteps / s.NumInferenceSteps;
        var alphaProdT = _alphasCumprod[s.Timestep];
        var alphaProdTPrev = prevTimestep >= 0 ? _alphasCumprod[prevTimestep] : FinalAlphaCumprod;
        var betaProdT = 1f - alphaProdT;
        // _get_variance: (beta_{t-1} / beta_t) * (1 - alpha_t / alpha_{t-1}); sigma_t = eta * sqrt(variance)
        var variance = (1f - alphaProdTPrev) / betaProdT * (1f - alphaProdT / alphaProdTPrev);
        var std = (float)s.Eta * MathF.Sqrt(variance);
        return new(MathF.Sqrt(alphaProdT), MathF.Sqrt(betaProdT), MathF.Sqrt(alphaProdTPrev),
            MathF.Sqrt(1f - alphaProdTPrev - std * std), std);
    }

    private Tensor AddVarianceNoise(Tensor prev, Tensor modelOutput, IReadOnlyList<DdimSegment> segments)
    {
        var parts = new List<Tensor>(segments.Count);
        long start = 0;
        foreach (var s in segments)
        {
            var part = prev.narrow(0, start, s.Rows);
            if (s.Eta > 0)
            {
                long[] shape = [s.Rows, .. modelOutput.shape.Skip(1)];
                var noise = s.VarianceNoise ?? randn(shape, dtype: modelOutput.dtype, generator: s.Generator);
                if (!noise.shape.SequenceEqual(shape))
                    throw new ArgumentException($"variance_noise shape [{string.Join(", ", noise.shape)}] should be [{string.Join(", ", shape)}]");
                var std = tensor(Coefficients(s).StdDev).to(prev.dtype);
                part = part + std * noise;
            }
            parts.Add(part);
            start += s.Rows;
        }
        return parts.Count == 1 ? parts[0] : cat(parts, 0);
    }

    private void CheckTimestep(long t)
    {
        if (t < 0 || t >= _alphasCumprod.Length)
            throw new ArgumentOutOfRangeException(nameof(t), $"timestep {t} is outside [0, {_alphasCumprod.Length})");
    }

    /// <summary>Per-row float32 values as [B, 1, ..., 1] in the sample's dtype, to broadcast over a row.</summary>
    private static Tensor PerRow(float[] values, Tensor like)
    {
        long[] shape = [values.Length, .. Enumerable.Repeat(1L, (int)like.dim() - 1)];
        return tensor(values).to(like.dtype, like.device).reshape(shape);
    }
}
