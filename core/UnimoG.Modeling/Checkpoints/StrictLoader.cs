using TorchSharp;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Checkpoints;

/// <summary>How checkpoint names map onto a module's state dict.</summary>
public sealed record LoadOptions
{
    /// <summary>Maps a checkpoint name to the module's name (legacy names); identity when null.</summary>
    public Func<string, string>? Rename { get; init; }

    /// <summary>Checkpoint names that may be present without a matching parameter (e.g. non-persistent buffers).</summary>
    public Func<string, bool>? IgnoreUnexpected { get; init; }

    /// <summary>Module names that may be absent from the checkpoint (they keep their current value).</summary>
    public Func<string, bool>? AllowMissing { get; init; }

    /// <summary>Accept [out, in, 1, 1] for a parameter of shape [out, in] (legacy 1x1-conv attention weights).</summary>
    public bool SqueezeConv1x1 { get; init; }
}

/// <summary>A checkpoint that does not fit a module: every problem listed, nothing copied.</summary>
public sealed class CheckpointMismatchException(string message, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> misshaped)
    : Exception(message)
{
    public IReadOnlyList<string> Missing { get; } = missing;
    public IReadOnlyList<string> Unexpected { get; } = unexpected;
    public IReadOnlyList<string> Misshaped { get; } = misshaped;
}

public static class StrictLoader
{
    /// <summary>
    /// Loads every parameter and buffer of <paramref name="module"/> from <paramref name="source"/>,
    /// converting to each parameter's dtype. Names and shapes are checked before anything is copied:
    /// any missing, unexpected or mis-shaped key fails with all of them listed.
    /// </summary>
    public static void LoadStrict(this nn.Module module, TensorSource source, LoadOptions? options = null)
    {
        options ??= new LoadOptions();
        var targets = module.state_dict();
        var plan = new List<(string Source, Tensor Target, bool Squeeze)>();
        var unexpected = new List<string>();
        var misshaped = new List<string>();
        var covered = new HashSet<string>(StringComparer.Ordinal);

        foreach (var name in source.Names.OrderBy(n => n, StringComparer.Ordinal))
        {
            var mapped = options.Rename?.Invoke(name) ?? name;
            if (!targets.TryGetValue(mapped, out var target))
            {
                if (options.IgnoreUnexpected?.Invoke(name) != true) unexpected.Add(name);
                continue;
            }
            if (!covered.Add(mapped))
            {
                unexpected.Add($"{name} (a second source for {mapped})");
                continue;
            }
            var shape = source.Entry(name).Shape;
            var want = target.shape;
            var squeeze = false;
            if (!shape.SequenceEqual(want))
            {
                squeeze = options.SqueezeConv1x1 && shape.Length == want.Length + 2 && shape[^1] == 1 && shape[^2] == 1 && shape[..^2].SequenceEqual(want);
                if (!squeeze)
                {
                    misshaped.Add($"{name}: checkpoint [{string.Join(", ", shape)}], model [{string.Join(", ", want)}]");
                    continue;
                }
            }
            plan.Add((name, target, squeeze));
        }
        var missing = targets.Keys.Where(k => !covered.Contains(k) && options.AllowMissing?.Invoke(k) != true)
            .OrderBy(k => k, StringComparer.Ordinal).ToList();

        if (missing.Count + unexpected.Count + misshaped.Count > 0)
            throw new CheckpointMismatchException(Describe(source.Description, module.GetName(), missing, unexpected, misshaped), missing, unexpected, misshaped);

        using var _ = torch.no_grad();
        foreach (var (name, target, squeeze) in plan)
        {
            using var scope = torch.NewDisposeScope();
            var value = source.Read(name, target.dtype);
            if (squeeze) value = value.view(target.shape);
            target.copy_(value);
        }
    }

    private static string Describe(string source, string module, List<string> missing, List<string> unexpected, List<string> misshaped)
    {
        static string List(string title, List<string> items) =>
            items.Count == 0 ? "" : $"\n  {title} ({items.Count}): {string.Join(", ", items.Take(30))}{(items.Count > 30 ? ", ..." : "")}";
        return $"checkpoint {source} does not match {module}:" +
               List("missing", missing) + List("unexpected", unexpected) + List("mis-shaped", misshaped);
    }
}
