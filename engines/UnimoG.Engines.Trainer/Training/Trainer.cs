using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Data.Checkpoints;
using UnimoG.Modeling;
using UnimoG.Modeling.Diffusion;
using UnimoG.Modeling.Schedulers;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Distributed;
using UnimoG.Engines.Trainer.Losses;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Training;

/// <summary>How a run ended.</summary>
public sealed record TrainingResult(RunState State, long Step, string? Checkpoint, string? ExportedUNet);

/// <summary>
/// The training loop: only the U-Net learns. Each optimizer step takes <c>gradient_accumulation_steps</c> batches (one
/// bucket shape each); per batch it draws, from the run's one generator and in this order: the latents
/// (posterior sample), which multimodal rows use their plain caption, which rows drop their condition, the noise and
/// the timesteps. Loss = MSE(prediction, epsilon or v) + lambda * L_attn; then global-norm clipping, AdamW, the EMA
/// update. Everything the next step depends on is in a checkpoint, so a resumed run continues bit for bit.
/// Synchronous on purpose: grad mode is per thread.
/// </summary>
public sealed partial class Trainer : IDisposable
{
    private readonly TrainingConfig _config;
    private readonly TrainingComponents _c;
    private readonly ILogger _log;
    private readonly DdimScheduler _scheduler;
    private readonly LatentSource _latents;
    private readonly AdamW _optimizer;
    private readonly Parameter[] _parameters;
    private readonly LearningRate _lr;
    private readonly CheckpointStore _store;
    private readonly Ema? _ema;
    private readonly MixedPrecision _precision;
    private readonly Conditioning _uncond;
    private readonly Dictionary<int, PhaseData> _phaseData = [];
    private readonly Generator _generator;
    private readonly Device _device;
    private readonly DataParallel? _parallel;
    private volatile bool _checkpointRequested;

    public ProgressHub Progress { get; } = new();
    public long Step { get; private set; }
    public int Phase { get; private set; }
    public int Epoch { get; private set; }
    public int BatchInEpoch { get; private set; }
    public UNet2DConditionModel UNet => _c.UNet;
    public Ema? Ema => _ema;

    /// <summary>The parameters the optimizer steps: the U-Net's float32 master weights.</summary>
    public IReadOnlyList<TorchSharp.Modules.Parameter> Parameters => _parameters;
    public CheckpointStore Checkpoints => _store;
    public TrainingConfig Config => _config;

    /// <param name="parallel">This process's rank of a data-parallel job (under mpirun); none for a single process.</param>
    public Trainer(TrainingConfig config, TrainingComponents components, ILogger logger, DataParallel? parallel = null)
    {
        _config = config;
        _c = components;
        _log = logger;
        // Checked before the run: a folder missing in phase 3 should not surface hours into training.
        for (var i = 0; i < config.Phases.Count; i++)
            if (!Directory.Exists(config.Phases[i].Data.Path))
                throw new DirectoryNotFoundException($"{config.File}: phases[{i}].data.path: data folder not found: {config.Phases[i].Data.Path}");
        _parallel = parallel;
        CheckRanks(config, parallel);
        if (config.Threads is { } n) torch.set_num_threads(n);
        _scheduler = new DdimScheduler(components.Scheduler);
        _latents = ConfigPaths.Open(config.Location["latent_cache"], () => new LatentSource(components.Vae, config.LatentCache));
        _store = CheckpointStore.ForRun(config.OutputDir, warning => logger.LogWarning("{Warning}", warning));
        _lr = new LearningRate(config);
        _device = torch.device(parallel is null ? config.Device : DataParallel.DeviceFor(config.Device));
        if (_device.type == DeviceType.CUDA && !torch.cuda.is_available())
            throw config.Location["device"].Error("\"cuda\" was asked for, but no CUDA device is available to this build (the default build is CPU-only: -p:TorchBackend=cuda)");
        _generator = new Generator((ulong)GeneratorSeed, _device);
        _c.UNet.to(_device);
        _c.Vae?.to(_device);
        _c.UNet.train();
        _parameters = [.. _c.UNet.parameters()];
        foreach (var p in _parameters) p.requires_grad = true;
        parallel?.Attach(_parameters, _device);
        var o = config.Optimizer;
        // ZeRO-1: this rank's AdamW steps only its shard of the flattened parameters.
        IEnumerable<Parameter> stepped = parallel?.Zero is { } zero ? [zero.Master] : _parameters;
        _optimizer = optim.AdamW(stepped, lr: _lr.At(0), beta1: o.Beta1, beta2: o.Beta2, eps: o.Eps, weight_decay: o.WeightDecay);
        // Only rank 0 writes, samples and exports, so only it keeps the average.
        if (config.Ema.Enabled && IsRoot) _ema = new Ema(_c.UNet, config.Ema);
        _precision = new MixedPrecision(_c.UNet, config.Precision);
        using (var u = components.Conditions.Unconditional())
            _uncond = new Conditioning(u.HiddenStates.to(_device), u.AttentionMask?.to(_device), u.Spans);
        LogDistributed();
    }

    /// <summary>Ask the loop to write a checkpoint after the current step.</summary>
    public void RequestCheckpoint() => _checkpointRequested = true;

    /// <summary>
    /// Runs until the last phase ends or <paramref name="stop"/> fires (then, with <paramref name="checkpointOnStop"/>,
    /// a checkpoint is written first; it is asked when the stop comes). With <paramref name="resume"/> the newest intact
    /// checkpoint is loaded first. <paramref name="maxSteps"/> ends the run earlier, at that step of the run (counted like
    /// checkpoints), with a checkpoint and the exported weights; the schedule stays the configuration's, so a later run
    /// continues as if unbroken.
    /// </summary>
    public TrainingResult Run(CancellationToken stop = default, bool resume = true, Func<bool>? checkpointOnStop = null, long? maxSteps = null)
    {
        if (maxSteps is < 1) throw new ArgumentOutOfRangeException(nameof(maxSteps), maxSteps, "max steps must be at least 1");
        var end = Math.Min(_config.TotalSteps, maxSteps ?? long.MaxValue);
        string? lastCheckpoint = null;
        try
        {
            Progress.Publish(Event(RunState.Starting, "starting"));
            if (resume && NewestCheckpoint() is { } newest)
            {
                Load(newest);
                lastCheckpoint = newest;
                _log.LogInformation("Resumed from {Checkpoint} at step {Step} (phase {Phase}, epoch {Epoch}, batch {Batch})", newest, Step, Phase, Epoch, BatchInEpoch);
            }
            _log.LogInformation("Training {Params:N0} U-Net parameters for {Total} steps; conditions: {Conditions}; latents: {Latents}; {Threads} torch threads",
                _parameters.Sum(p => p.numel()), _config.TotalSteps, _c.Conditions.Description, _latents.Description, torch.get_num_threads());
            var window = new MetricsWindow();
            while (Step < end)
            {
                if (StopNow(stop))
                {
                    if (checkpointOnStop?.Invoke() ?? true) lastCheckpoint = CheckpointOfThisStep() ?? lastCheckpoint;
                    Progress.Publish(Event(RunState.Stopped, "stopped", lastCheckpoint));
                    return new TrainingResult(RunState.Stopped, Step, lastCheckpoint, null);
                }
                var sw = Stopwatch.StartNew();
                var m = TrainStep();
                window.Add(m, sw.Elapsed.TotalSeconds);
                var rate = m.Samples / Math.Max(1e-9, sw.Elapsed.TotalSeconds);
                string? written = null;
                if ((_config.Checkpoints.Every > 0 && Step % _config.Checkpoints.Every == 0) || TakeCheckpointRequest())
                    written = lastCheckpoint = SaveCheckpoint();
                Progress.Publish(new TrainingProgress(Step, _config.TotalSteps, _config.Phases[Phase].Name, m.Loss, m.Mse, m.Attn, m.LearningRate, rate, RunState.Running, written));
                if (Step % _config.LogEvery == 0 || Step == _config.TotalSteps)
                {
                    var w = window.Take();
                    _log.LogInformation("step {Step}/{Total} [{Phase}] loss {Loss:G5} mse {Mse:G5} attn {Attn} lr {Lr:G4} {Rate:F2} samples/s",
                        Step, _config.TotalSteps, _config.Phases[Phase].Name, w.Loss, w.Mse, w.Attn is { } a ? a.ToString("G5", System.Globalization.CultureInfo.InvariantCulture) : "-", m.LearningRate, w.Rate);
                    LogCommunication(sw.Elapsed.TotalSeconds);
                }
                if (_config.Samples.Every > 0 && Step % _config.Samples.Every == 0) SamplesOnRoot();
            }
            lastCheckpoint = CheckpointOfThisStep() ?? lastCheckpoint;
            var exported = IsRoot ? Export() : Path.Combine(_config.OutputDir, "unet");
            if (Step < _config.TotalSteps)
            {
                // Ended by maxSteps: like the end of a run (checkpoint, exported weights), but the run is not complete.
                _log.LogInformation("Stopped at step {Step} of {Total} (max steps); the same configuration continues from here", Step, _config.TotalSteps);
                Progress.Publish(Event(RunState.Stopped, "max steps reached", lastCheckpoint));
                return new TrainingResult(RunState.Stopped, Step, lastCheckpoint, exported);
            }
            Progress.Publish(Event(RunState.Completed, "completed", lastCheckpoint));
            return new TrainingResult(RunState.Completed, Step, lastCheckpoint, exported);
        }
        catch (OperationCanceledException)
        {
            Progress.Publish(Event(RunState.Stopped, "cancelled", lastCheckpoint));
            throw;
        }
        catch (Exception e)
        {
            _log.LogError(e, "Training failed at step {Step}", Step);
            Progress.Publish(Event(RunState.Failed, e.Message, lastCheckpoint));
            throw;
        }
        finally
        {
            Progress.Complete();
        }
    }

    /// <summary>The checkpoint of the current step: the one already written, else a new one; none before the first step.</summary>
    private string? CheckpointOfThisStep() => Step == 0 ? null : ExistingCheckpointOfThisStep() ?? SaveCheckpoint();

    private TrainingProgress Event(RunState state, string message, string? checkpoint = null) =>
        new(Step, _config.TotalSteps, _config.Phases[Math.Min(Phase, _config.Phases.Count - 1)].Name, 0, 0, null, _lr.At(Math.Min(Step, Math.Max(0, _config.TotalSteps - 1))), 0, state, checkpoint, message);

    public void Dispose()
    {
        _optimizer.Dispose();
        _ema?.Dispose();
        _precision.Dispose();
        _parallel?.Dispose();
        _uncond.Dispose();
        _c.Dispose();
    }

    /// <summary>Running means between two log lines.</summary>
    private sealed class MetricsWindow
    {
        private double _loss, _mse, _attn, _seconds;
        private long _samples;
        private int _n, _attnN;

        public void Add(StepMetrics m, double seconds)
        {
            _loss += m.Loss;
            _mse += m.Mse;
            if (m.Attn is { } a) { _attn += a; _attnN++; }
            _samples += m.Samples;
            _seconds += seconds;
            _n++;
        }

        public (double Loss, double Mse, double? Attn, double Rate) Take()
        {
            var r = (_loss / Math.Max(1, _n), _mse / Math.Max(1, _n), _attnN > 0 ? _attn / _attnN : (double?)null, _samples / Math.Max(1e-9, _seconds));
            _loss = _mse = _attn = _seconds = 0;
            _samples = 0;
            _n = _attnN = 0;
            return r;
        }
    }
}

/// <summary>One optimizer step's numbers.</summary>
public sealed record StepMetrics(double Loss, double Mse, double? Attn, double LearningRate, int Samples, double GradNorm);
