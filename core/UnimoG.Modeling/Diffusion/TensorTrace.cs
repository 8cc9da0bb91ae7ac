using static TorchSharp.torch;

namespace UnimoG.Modeling.Diffusion;

/// <summary>
/// Keeps copies of the intermediate tensors a forward reports (pass <see cref="Record"/> as its trace
/// callback): the reported tensors are freed when the forward returns, the copies live until this is disposed.
/// </summary>
public sealed class TensorTrace : IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    public Tensor this[string name] => _tensors.TryGetValue(name, out var t)
        ? t
        : throw new KeyNotFoundException($"nothing traced as '{name}' (traced: {string.Join(", ", _tensors.Keys)})");

    public void Record(string name, Tensor tensor)
    {
        var copy = tensor.detach().clone();
        copy.DetachFromDisposeScope();
        if (_tensors.Remove(name, out var old)) old.Dispose();
        _tensors[name] = copy;
    }

    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
        _tensors.Clear();
    }
}
