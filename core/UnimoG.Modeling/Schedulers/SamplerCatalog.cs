using UnimoG.Data.Sampling;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// Every served sampler (<see cref="SamplerPresets"/>) built once for one model's scheduler config and shared by all
/// requests (per-request state lives in each run), so a batch may mix samplers.
/// </summary>
public sealed class SamplerCatalog
{
    private readonly Dictionary<string, INoiseScheduler> _schedulers;

    public SamplerCatalog(DdimSchedulerConfig model)
    {
        _schedulers = SamplerPresets.All.ToDictionary(p => p.Name,
            p => p.DiffusersClass == "DDIMScheduler" ? new DdimScheduler(model) : SchedulerFiles.Derive(model, p), StringComparer.Ordinal);
    }

    public IEnumerable<string> Names => SamplerPresets.Names;

    /// <summary>The scheduler of <paramref name="sampler"/> (empty = the default).</summary>
    public INoiseScheduler this[string sampler] =>
        _schedulers.TryGetValue(sampler.Length == 0 ? SamplerPresets.Default : sampler, out var s) ? s
            : throw new ArgumentException($"sampler '{sampler}' is not one of {string.Join(", ", SamplerPresets.Names)}", nameof(sampler));
}
