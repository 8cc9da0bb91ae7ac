using UnimoG.Text.Prompts;
using System.Globalization;
using UnimoG.Modeling;
using UnimoG.Engines.Trainer.Data;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Conditions;

/// <summary>
/// Conditions read from a cache written by <c>unimog encode-dataset</c>: per key <c>hidden_states</c> [L, D] and
/// <c>attention_mask</c> [L], the visual spans as text (<c>image:start:end,...</c>); the empty prompt under
/// <see cref="UnconditionalKey"/>. No encoder is loaded, so training costs only the U-Net.
/// </summary>
public sealed class CachedConditions : IConditionSource
{
    public const string Kind = "conditions";
    public const string UnconditionalKey = "__unconditional__";

    private readonly TensorStore _store;

    public CachedConditions(string folder)
    {
        _store = new TensorStore(folder, Kind);
        Width = (int?)_store.Settings["width"] ?? throw new InvalidDataException($"{folder}/manifest.json: settings.width is missing");
        if (!_store.Contains(UnconditionalKey)) throw new InvalidDataException($"{folder}: the cache has no unconditional (empty prompt) entry");
    }

    public string Description => $"condition cache {_store.Folder} ({_store.Count} prompts, model '{(string?)_store.Settings["model"]}')";
    public int Width { get; }

    public Conditioning Encode(IReadOnlyList<ConditionRequest> requests)
    {
        using var scope = NewDisposeScope();
        var rows = requests.Select(r => Row(r.Key)).ToList();
        var batch = Conditioning.Concat(rows);
        var mask = batch.AttentionMask ?? ones(batch.BatchSize, batch.Length, ScalarType.Int64);
        return new Conditioning(batch.HiddenStates.MoveToOuterDisposeScope(), mask.to_type(ScalarType.Int64).MoveToOuterDisposeScope(), batch.Spans);
    }

    public Conditioning Unconditional() => Row(UnconditionalKey);

    private Conditioning Row(string key)
    {
        var hidden = _store.Read(key, "hidden_states", "prompt");
        var mask = _store.Read(key, "attention_mask", "prompt");
        return new Conditioning(hidden.to_type(ScalarType.Float32).unsqueeze(0), mask.to_type(ScalarType.Int64).unsqueeze(0), [ParseSpans(_store.Text(key, "spans"))]);
    }

    public static string FormatSpans(IReadOnlyList<VisualSpan> spans) =>
        string.Join(",", spans.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.ImageIndex}:{s.Start}:{s.End}")));

    public static IReadOnlyList<VisualSpan> ParseSpans(string? text) =>
        string.IsNullOrEmpty(text) ? [] : text.Split(',').Select(p => p.Split(':')).Select(p =>
            new VisualSpan(int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture), int.Parse(p[2], CultureInfo.InvariantCulture))).ToList();

    public void Dispose() { }
}
