using static TorchSharp.torch;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// diffusers v0.31.0's <c>DPMSolverMultistepScheduler</c> with the data-prediction algorithms: DPM-Solver++ (Lu et al.
/// 2022, arXiv:2211.01095, Algorithm 2: multistep, orders 1-3, midpoint or Heun second-order update) and its SDE
/// variant (sde-dpmsolver++). Steps are in lambda = log(alpha_t / sigma_t), h = lambda_{i+1} - lambda_i; each run keeps
/// its own history of data predictions, so requests at different steps share a batch.
/// </summary>
public sealed class DpmSolverScheduler(DpmSolverConfig config) : INoiseScheduler
{
    private readonly NoiseLevels _levels = new(config);
    public DpmSolverConfig Config { get; } = config;
    public string Name => Config.ClassName;

    public SchedulerRun Start(SamplingSettings settings, NoiseSource? noise = null)
    {
        SigmaRun.CheckSettings(settings, Name);
        if (Config.Stochastic && noise is null)
            throw new ArgumentException("sde-dpmsolver++ is stochastic: pass the request's noise source (we never draw from the global RNG)", nameof(noise));
        var (timesteps, sigmas) = Schedule(settings.Steps);
        return new Run(Config, timesteps, sigmas, noise);
    }

    /// <summary>set_timesteps(n): integer timesteps and their float32 sigmas plus the final one.</summary>
    public (double[] Timesteps, float[] Sigmas) Schedule(int n) =>
        _levels.Multistep(SigmaTimesteps.Multistep(Config, n, LastTimestep()), n, Config.UseKarrasSigmas, Config.FinalSigmasType);

    /// <summary>T minus the timesteps whose lambda is below lambda_min_clipped (searchsorted over the flipped lambdas).</summary>
    private int LastTimestep()
    {
        var clip = Config.LambdaMinClipped;
        if (double.IsNegativeInfinity(clip)) return Config.NumTrainTimesteps;
        // lambda_t = log(sqrt(alpha_t)) - log(sqrt(1 - alpha_t)) in float32; flipped it rises; searchsorted counts those below
        var clipped = _levels.AlphasCumprod.Reverse().Count(a => MathF.Log(MathF.Sqrt(a)) - MathF.Log(MathF.Sqrt(1f - a)) < clip);
        return Config.NumTrainTimesteps - clipped;
    }

    private sealed class Run(DpmSolverConfig c, double[] timesteps, float[] sigmas, NoiseSource? noise) : SigmaRun(timesteps, sigmas, noise)
    {
        private readonly List<Tensor> _outputs = [];   // the last solver_order data predictions, oldest first
        private int _lowerOrderNums;

        public override double InitNoiseSigma => 1.0;
        public override Tensor ScaleModelInput(Tensor sample) => sample;

        protected override (double Signal, double Noise) NoiseScales(int stepIndex) => NoiseLevels.AlphaSigma(Sigma(stepIndex));

        protected override SchedulerOutput StepCore(Tensor modelOutput, Tensor sample)
        {
            using var scope = NewDisposeScope();
            int i = StepIndex, n = Count;
            var lowerOrderFinal = i == n - 1 && (c.EulerAtFinal || (c.LowerOrderFinal && n < 15) || c.FinalSigmasType == "zero");
            var lowerOrderSecond = i == n - 2 && c.LowerOrderFinal && n < 15;
            var x0 = SigmaMath.DataPrediction(c.PredictionType, modelOutput, sample, Sigma(i));
            if (c.Thresholding) x0 = Thresholds.Dynamic(x0, c.DynamicThresholdingRatio, c.SampleMaxValue);
            Remember(x0);
            var x = sample.to_type(ScalarType.Float32);
            var z = c.Stochastic ? DrawNoise(modelOutput) : null;
            var prev = c.SolverOrder == 1 || _lowerOrderNums < 1 || lowerOrderFinal ? FirstOrder(x, z)
                : c.SolverOrder == 2 || _lowerOrderNums < 2 || lowerOrderSecond ? SecondOrder(x, z)
                : ThirdOrder(x);
            if (_lowerOrderNums < c.SolverOrder) _lowerOrderNums++;
            return new SchedulerOutput(prev.to_type(modelOutput.dtype).MoveToOuterDisposeScope(), x0.alias().MoveToOuterDisposeScope());
        }

        private void Remember(Tensor x0)
        {
            if (_outputs.Count == c.SolverOrder) { _outputs[0].Dispose(); _outputs.RemoveAt(0); }
            _outputs.Add(x0.alias().DetachFromDisposeScope());
        }

        private Tensor M(int back) => _outputs[^(back + 1)];
        private double Lambda(int i) => NoiseLevels.Lambda(Sigma(i));

        // (sigma_t / sigma_s) x - alpha_t (e^-h - 1) D0; the SDE form: (sigma_t / sigma_s) e^-h x + alpha_t (1 - e^-2h) D0 + sigma_t sqrt(1 - e^-2h) z
        private Tensor FirstOrder(Tensor x, Tensor? z)
        {
            var (alphaT, sigmaT) = NoiseLevels.AlphaSigma(Sigma(StepIndex + 1));
            var (_, sigmaS) = NoiseLevels.AlphaSigma(Sigma(StepIndex));
            var h = Lambda(StepIndex + 1) - Lambda(StepIndex);
            if (z is null) return x * (sigmaT / sigmaS) - M(0) * (alphaT * (Math.Exp(-h) - 1.0));
            return x * (sigmaT / sigmaS * Math.Exp(-h)) + M(0) * (alphaT * (1 - Math.Exp(-2.0 * h))) + z * (sigmaT * Math.Sqrt(1.0 - Math.Exp(-2 * h)));
        }

        // Algorithm 2's second-order multistep update: D1 = (m0 - m1) / r0, r0 = h_0 / h
        private Tensor SecondOrder(Tensor x, Tensor? z)
        {
            var (alphaT, sigmaT) = NoiseLevels.AlphaSigma(Sigma(StepIndex + 1));
            var (_, sigmaS0) = NoiseLevels.AlphaSigma(Sigma(StepIndex));
            double h = Lambda(StepIndex + 1) - Lambda(StepIndex), h0 = Lambda(StepIndex) - Lambda(StepIndex - 1);
            var r0 = h0 / h;
            var d0 = M(0);
            var d1 = (M(0) - M(1)) * (1.0 / r0);
            var heun = c.SolverType == "heun";
            if (z is null)
                return x * (sigmaT / sigmaS0) - d0 * (alphaT * (Math.Exp(-h) - 1.0))
                    + d1 * (heun ? alphaT * ((Math.Exp(-h) - 1.0) / h + 1.0) : -0.5 * (alphaT * (Math.Exp(-h) - 1.0)));
            var e2 = 1 - Math.Exp(-2.0 * h);
            return x * (sigmaT / sigmaS0 * Math.Exp(-h)) + d0 * (alphaT * e2)
                + d1 * (heun ? alphaT * (e2 / (-2.0 * h) + 1.0) : 0.5 * (alphaT * e2))
                + z * (sigmaT * Math.Sqrt(e2));
        }

        private Tensor ThirdOrder(Tensor x)
        {
            var (alphaT, sigmaT) = NoiseLevels.AlphaSigma(Sigma(StepIndex + 1));
            var (_, sigmaS0) = NoiseLevels.AlphaSigma(Sigma(StepIndex));
            double h = Lambda(StepIndex + 1) - Lambda(StepIndex);
            double h0 = Lambda(StepIndex) - Lambda(StepIndex - 1), h1 = Lambda(StepIndex - 1) - Lambda(StepIndex - 2);
            double r0 = h0 / h, r1 = h1 / h;
            var d10 = (M(0) - M(1)) * (1.0 / r0);
            var d11 = (M(1) - M(2)) * (1.0 / r1);
            var d1 = d10 + (d10 - d11) * (r0 / (r0 + r1));
            var d2 = (d10 - d11) * (1.0 / (r0 + r1));
            var em = Math.Exp(-h) - 1.0;
            return x * (sigmaT / sigmaS0) - M(0) * (alphaT * em) + d1 * (alphaT * (em / h + 1.0)) - d2 * (alphaT * ((em + h) / (h * h) - 0.5));
        }

        public override void Dispose()
        {
            foreach (var t in _outputs) t.Dispose();
            _outputs.Clear();
            base.Dispose();
        }
    }
}
