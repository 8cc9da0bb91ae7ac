using static TorchSharp.torch;

namespace UnimoG.Modeling.Diffusion;

/// <summary>
/// The attention probabilities one layer computed in the last forward: <see cref="Probabilities"/> is
/// [B, heads, Height*Width, L], softmax over the L keys (rows sum to 1), query tokens in row-major
/// (y, x) order of the layer's Height x Width grid.
/// </summary>
public sealed record CapturedAttention(string Layer, Tensor Probabilities, int Height, int Width);

/// <summary>
/// Records the attention probabilities of chosen layers while attached (see
/// <see cref="UNet2DConditionModel.CaptureCrossAttention(IEnumerable{string}, bool)"/>). Layers that are not
/// chosen keep the fused attention path and cost nothing extra. Each forward replaces the previous
/// maps. With <see cref="KeepGradients"/> the maps stay in the autograd graph (the attention-mask loss
/// of training back-propagates through them); otherwise they are detached. The capture owns the map
/// tensors: dispose it (or <see cref="Clear"/>) to free them and detach it from the model.
/// A model with an attached capture must not run forwards concurrently.
/// </summary>
public sealed class AttentionCapture : IDisposable
{
    private readonly Dictionary<string, CapturedAttention> _maps = new(StringComparer.Ordinal);
    private readonly List<Attention> _modules;

    public IReadOnlyList<string> Layers { get; }
    public bool KeepGradients { get; }

    internal AttentionCapture(List<Attention> modules, bool keepGradients)
    {
        foreach (var m in modules)
            if (m.Capture is not null) throw new InvalidOperationException($"attention layer {m.LayerName} is already being captured");
        _modules = modules;
        Layers = modules.Select(m => m.LayerName).ToList();
        KeepGradients = keepGradients;
        foreach (var m in modules) m.Capture = this;
    }

    /// <summary>The maps recorded by the last forward, by layer name.</summary>
    public IReadOnlyDictionary<string, CapturedAttention> Maps => _maps;

    public CapturedAttention this[string layer] => _maps.TryGetValue(layer, out var map)
        ? map
        : throw new KeyNotFoundException(Layers.Contains(layer)
            ? $"attention layer '{layer}' has not run since the capture started"
            : $"attention layer '{layer}' is not captured (captured: {string.Join(", ", Layers)})");

    internal void Record(string layer, Tensor probabilities, (int H, int W)? grid)
    {
        var kept = KeepGradients ? probabilities.alias() : probabilities.detach();
        kept.DetachFromDisposeScope();
        var (h, w) = grid ?? ((int)probabilities.shape[2], 1);
        if (_maps.Remove(layer, out var old)) old.Probabilities.Dispose();
        _maps[layer] = new CapturedAttention(layer, kept, h, w);
    }

    /// <summary>Frees the recorded maps; the capture stays attached.</summary>
    public void Clear()
    {
        foreach (var m in _maps.Values) m.Probabilities.Dispose();
        _maps.Clear();
    }

    public void Dispose()
    {
        foreach (var m in _modules)
            if (ReferenceEquals(m.Capture, this)) m.Capture = null;
        Clear();
    }
}
