using static TorchSharp.torch;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// diffusers v0.31.0's <c>UniPCMultistepScheduler</c> (Zhao et al. 2023, arXiv:2302.04867): a multistep predictor
/// (UniP, Algorithm 2's B(h) variants bh1/bh2) whose result is refined at the next step, once the model has been
/// evaluated there, by the corrector (UniC) at no extra model call. Each run keeps its history of converted model
/// outputs and the sample before the last prediction.
/// </summary>
public sealed class UniPcScheduler(UniPcConfig config) : INoiseScheduler
{
    private readonly NoiseLevels _levels = new(config);
    public UniPcConfig Config { get; } = config;
    public string Name => Config.ClassName;

    public SchedulerRun Start(SamplingSettings settings, NoiseSource? noise = null)
    {
        SigmaRun.CheckSettings(settings, Name);
        var (timesteps, sigmas) = Schedule(settings.Steps);
        return new Run(Config, timesteps, sigmas);
    }

    public (double[] Timesteps, float[] Sigmas) Schedule(int n) =>
        _levels.Multistep(SigmaTimesteps.Multistep(Config, n, Config.NumTrainTimesteps), n, Config.UseKarrasSigmas, Config.FinalSigmasType);

    private sealed class Run(UniPcConfig c, double[] timesteps, float[] sigmas) : SigmaRun(timesteps, sigmas, null)
    {
        private readonly List<Tensor> _outputs = [];   // the last solver_order converted outputs, oldest first
        private Tensor? _lastSample;                    // the sample the last prediction started from
        private int _lowerOrderNums, _thisOrder;

        public override double InitNoiseSigma => 1.0;
        public override Tensor ScaleModelInput(Tensor sample) => sample;
        protected override (double Signal, double Noise) NoiseScales(int stepIndex) => NoiseLevels.AlphaSigma(Sigma(stepIndex));

        protected override SchedulerOutput StepCore(Tensor modelOutput, Tensor sample)
        {
            using var scope = NewDisposeScope();
            var i = StepIndex;
            var converted = Convert(modelOutput, sample, Sigma(i));
            var useCorrector = i > 0 && !c.DisableCorrector.Contains(i - 1) && _lastSample is not null;
            // UniC: the model's output at this step refines the sample the previous prediction made
            var x = useCorrector ? Correct(converted, _lastSample!, _thisOrder) : sample;
            if (_outputs.Count == c.SolverOrder) { _outputs[0].Dispose(); _outputs.RemoveAt(0); }
            _outputs.Add(converted.alias().DetachFromDisposeScope());
            var order = c.LowerOrderFinal ? Math.Min(c.SolverOrder, Count - i) : c.SolverOrder;
            _thisOrder = Math.Min(order, _lowerOrderNums + 1);
            _lastSample?.Dispose();
            _lastSample = x.alias().DetachFromDisposeScope();
            var prev = Predict(x, _thisOrder);
            if (_lowerOrderNums < c.SolverOrder) _lowerOrderNums++;
            return new SchedulerOutput(prev.to_type(sample.dtype).MoveToOuterDisposeScope(), converted.alias().MoveToOuterDisposeScope());
        }

        private Tensor Convert(Tensor modelOutput, Tensor sample, double sigma)
        {
            if (c.PredictX0)
            {
                var x0 = SigmaMath.DataPrediction(c.PredictionType, modelOutput, sample, sigma);
                return c.Thresholding ? Thresholds.Dynamic(x0, c.DynamicThresholdingRatio, c.SampleMaxValue) : x0;
            }
            var (alpha, sigmaT) = NoiseLevels.AlphaSigma(sigma);
            return c.PredictionType switch
            {
                "epsilon" => modelOutput.alias(),
                "sample" => (sample - modelOutput * alpha) / sigmaT,
                _ => modelOutput * alpha + sample * sigmaT,   // v_prediction
            };
        }

        private Tensor M(int back) => _outputs[^(back + 1)];
        private double Lambda(int i) => NoiseLevels.Lambda(Sigma(i));

        /// <summary>UniP-p from sigma_i to sigma_{i+1}, with the differences to the p - 1 previous outputs.</summary>
        private Tensor Predict(Tensor x, int p)
        {
            int s0 = StepIndex, t = StepIndex + 1;
            var (h, rks, d1s) = Differences(s0, t, p);
            var (hh, phi1, bh, b) = Coefficients(h, rks);
            double[] rhos = d1s.Count == 0 ? [] : p == 2 ? [0.5] : SmallSolve.Solve(Powers(rks, p - 1), b[..(p - 1)]);
            return Combine(x, s0, t, hh, phi1, bh, d1s, rhos, null, 0);
        }

        /// <summary>UniC-p at sigma_i for the sample predicted from sigma_{i-1} (<paramref name="last"/>), with this step's output.</summary>
        private Tensor Correct(Tensor modelT, Tensor last, int p)
        {
            int s0 = StepIndex - 1, t = StepIndex;
            var (h, rks, d1s) = Differences(s0, t, p);
            var (hh, phi1, bh, b) = Coefficients(h, rks);
            double[] rhos = p == 1 ? [0.5] : SmallSolve.Solve(Powers(rks, p), b);
            using var d1t = modelT - M(0);
            return Combine(last, s0, t, hh, phi1, bh, d1s, rhos[..^1], d1t, rhos[^1]);
        }

        /// <summary>
        /// h = lambda_t - lambda_s0; r_k = (lambda_{s0-k} - lambda_s0) / h and D1_k = (m_k - m_0) / r_k for the p - 1
        /// earlier outputs, then r = 1 for this step (the paper's Algorithm 2, lines 2-4).
        /// </summary>
        private (double H, double[] Rks, List<Tensor> D1s) Differences(int s0, int t, int p)
        {
            var h = Lambda(t) - Lambda(s0);
            var rks = new double[p];
            var d1s = new List<Tensor>();
            for (var k = 1; k < p; k++)
            {
                rks[k - 1] = (Lambda(s0 - k) - Lambda(s0)) / h;
                d1s.Add((M(k) - M(0)) / rks[k - 1]);
            }
            rks[p - 1] = 1.0;
            return (h, rks, d1s);
        }

        /// <summary>hh = -h (data prediction) or h; phi_1 = e^hh - 1; B(h); b_k = phi_k(hh) k! / B(h) (the paper's eq. 11 right-hand side).</summary>
        private (double Hh, double Phi1, double Bh, double[] B) Coefficients(double h, double[] rks)
        {
            var hh = c.PredictX0 ? -h : h;
            var phi1 = double.ExpM1(hh);
            var phiK = phi1 / hh - 1;
            var bh = c.SolverType == "bh1" ? hh : phi1;
            var b = new double[rks.Length];
            double factorial = 1;
            for (var k = 1; k <= rks.Length; k++)
            {
                b[k - 1] = phiK * factorial / bh;
                factorial *= k + 1;
                phiK = phiK / hh - 1 / factorial;
            }
            return (hh, phi1, bh, b);
        }

        /// <summary>R[k][j] = rks[j]^k for k, j below <paramref name="size"/>.</summary>
        private static double[,] Powers(double[] rks, int size)
        {
            var r = new double[size, size];
            for (var k = 0; k < size; k++)
                for (var j = 0; j < size; j++) r[k, j] = Math.Pow(rks[j], k);
            return r;
        }

        // data prediction: (sigma_t / sigma_s0) x - alpha_t phi_1 m0 - alpha_t B(h) (sum rho_k D1_k [+ rho_t D1_t]); noise prediction with alpha and sigma swapped
        private Tensor Combine(Tensor x, int s0, int t, double hh, double phi1, double bh, List<Tensor> d1s, double[] rhos, Tensor? d1t, double rhoT)
        {
            var (alphaT, sigmaT) = NoiseLevels.AlphaSigma(Sigma(t));
            var (alphaS0, sigmaS0) = NoiseLevels.AlphaSigma(Sigma(s0));
            var (outer, scale) = c.PredictX0 ? (alphaT, sigmaT / sigmaS0) : (sigmaT, alphaT / alphaS0);
            var result = x * scale - M(0) * (outer * phi1);
            Tensor? residual = null;
            for (var k = 0; k < d1s.Count; k++) residual = residual is null ? d1s[k] * rhos[k] : residual + d1s[k] * rhos[k];
            if (d1t is not null) residual = residual is null ? d1t * rhoT : residual + d1t * rhoT;
            return residual is null ? result : result - residual * (outer * bh);
        }

        public override void Dispose()
        {
            foreach (var o in _outputs) o.Dispose();
            _outputs.Clear();
            _lastSample?.Dispose();
            base.Dispose();
        }
    }
}

/// <summary>Gaussian elimination with partial pivoting for UniPC's 1x1 to 3x3 systems (torch.linalg.solve).</summary>
internal static class SmallSolve
{
    public static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        var m = (double[,])a.Clone();
        var x = (double[])b.Clone();
        for (var col = 0; col < n; col++)
        {
            var pivot = Enumerable.Range(col, n - col).MaxBy(r => Math.Abs(m[r, col]));
            if (pivot != col)
            {
                for (var j = 0; j < n; j++) (m[col, j], m[pivot, j]) = (m[pivot, j], m[col, j]);
                (x[col], x[pivot]) = (x[pivot], x[col]);
            }
            for (var r = col + 1; r < n; r++)
            {
                var f = m[r, col] / m[col, col];
                for (var j = col; j < n; j++) m[r, j] -= f * m[col, j];
                x[r] -= f * x[col];
            }
        }
        for (var r = n - 1; r >= 0; r--)
        {
            for (var j = r + 1; j < n; j++) x[r] -= m[r, j] * x[j];
            x[r] /= m[r, r];
        }
        return x;
    }
}
